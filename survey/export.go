package survey

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// exportColumns is the CSV's column order. It only ever grows at the end, so spreadsheets and
// scripts built on an export keep working.
var exportColumns = []string{
	"response_id", "invitation_id", "survey_id", "kind", "points", "score", "comment", "reason", "locale",
	"customer_id", "customer_email", "customer_name", "interaction_id", "agent", "team", "channel", "country",
	"occurred_at", "created_at", "updated_at", "revision", "flags", "ua_class", "interacted", "auto_confirmed",
}

// newCSV starts a CSV file on w with its header row, after a UTF-8 byte order mark: without
// it Excel reads Vietnamese text as mojibake.
func newCSV(w io.Writer, columns []string) (*csv.Writer, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	out := csv.NewWriter(w)
	return out, out.Write(columns)
}

// ExportResponses writes the workspace's responses matching f as CSV, newest invitation first,
// streaming from a cursor so memory does not grow with the number of responses.
func (s *Service) ExportResponses(ctx context.Context, w io.Writer, ws bson.ObjectID, f ResponseFilter) error {
	out, err := newCSV(w, exportColumns)
	if err != nil {
		return err
	}
	cur, err := s.responses.Find(ctx, f.query(ws), sortNewest().SetBatchSize(500))
	if err != nil {
		return fmt.Errorf("survey: export responses: %w", err)
	}
	defer cur.Close(ctx)
	rows := 0
	for cur.Next(ctx) {
		var r Response
		if err := cur.Decode(&r); err != nil {
			return fmt.Errorf("survey: export responses: %w", err)
		}
		if err := out.Write(exportRow(&r)); err != nil {
			return err
		}
		if rows++; rows%500 == 0 {
			if out.Flush(); out.Error() != nil {
				return out.Error()
			}
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("survey: export responses: %w", err)
	}
	out.Flush()
	return out.Error()
}

func exportRow(r *Response) []string {
	var flags []string
	for _, f := range r.Flags {
		flags = append(flags, f.Name)
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	row := []string{
		r.ID.Hex(), r.InvitationID.Hex(), r.SurveyID.Hex(), string(r.Kind), strconv.Itoa(r.Points), strconv.Itoa(r.Score),
		r.Comment, r.Reason, r.Locale, r.Customer.ID, r.Customer.Email, r.Customer.Name, r.Interaction.ID,
		r.Interaction.Agent, r.Interaction.Team, r.Interaction.Channel, r.Interaction.Country,
		ts(r.Interaction.OccurredAt), ts(&r.CreatedAt), ts(&r.UpdatedAt), strconv.Itoa(r.Revision),
		strings.Join(flags, ";"), r.Signals.UAClass, strconv.FormatBool(r.Signals.Interacted), strconv.FormatBool(r.Signals.AutoConfirmed),
	}
	for i, cell := range row {
		row[i] = defuse(cell)
	}
	return row
}

// defuse keeps a spreadsheet from running a customer's comment as a formula (CSV injection):
// a cell that starts like one gets a leading apostrophe, which Excel and Sheets show as text.
func defuse(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

func (h *Handler) exportResponses(c *echo.Context) error {
	f, err := responseFilter(c)
	if err != nil {
		return err
	}
	res := csvAttachment(c, fmt.Sprintf("responses-%s.csv", h.svc.now().Format("2006-01-02")))
	// Once rows have gone out a failure can only cut the file short; it is logged, and the
	// missing final newline tells a careful reader.
	if err := h.svc.ExportResponses(c.Request().Context(), res, apikey.WorkspaceOf(c), f); err != nil {
		c.Logger().Error("export responses", "err", err)
	}
	return nil
}

// csvAttachment sends the status and headers of a CSV download named filename; what is
// written to the returned writer is the file.
func csvAttachment(c *echo.Context, filename string) http.ResponseWriter {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	res.WriteHeader(http.StatusOK)
	return res
}
