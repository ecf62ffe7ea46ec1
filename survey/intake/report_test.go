package intake

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/surveyd/surveyd/survey"
)

// Interactions from the CRM's webhook count in the KPIs whatever the rules decide: a sampled
// out interaction gets no email but was handled all the same.
func TestReportKPIsFromWebhook(t *testing.T) {
	h := newHookEnv(t, `"sample_percent":0`)
	for i, in := range []string{
		`"first_contact_resolved":true,"handle_seconds":120,"transfers":1`,
		`"first_contact_resolved":false,"handle_seconds":360`,
	} {
		ev := `{"event_id":"evt-` + strconv.Itoa(i) + `","interaction":{"channel":"chat","team":"Billing",` + in + `},"customer":{"email":"c@example.com"}}`
		if res := h.postOK(ev, http.StatusAccepted); res.Decision != survey.StatusSampledOut {
			t.Fatalf("decision %+v", res)
		}
	}
	rep := h.report("/api/v1/surveys/"+h.sv.ID.Hex()+"/report", h.Key)
	k := rep.Total.KPI
	if k.Volume != 2 || k.FCRRate == nil || *k.FCRRate != 50 || k.AHTSeconds == nil || *k.AHTSeconds != 240 || k.TransferRate == nil || *k.TransferRate != 100 || k.TransferN != 1 {
		b, _ := json.Marshal(k)
		t.Errorf("KPIs %s", b)
	}
}
