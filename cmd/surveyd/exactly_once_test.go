package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/smtptest"
	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Exactly once under faults: 1,000 invitations, three surveyd instances working one outbox,
// one of them killed (SIGKILL, mid-delivery) and started again. Every invitation's email must
// arrive. A crash between the SMTP server's "250 OK" and the outbox record can repeat a
// message; the test counts such repeats, which may be at most one per kill, and the record
// window itself is measured by BenchmarkOutboxRecordWindow.
func TestExactlyOnceAcrossCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three surveyd processes")
	}
	const invitations = 1000
	smtp := smtptest.Start(t)
	db := storetest.DB(t) // migrated, _id-indexed, on the shared embedded store
	env := map[string]string{
		"SURVEYD_MONGODB_URI":      storetest.Open(t).URI,
		"SURVEYD_MONGODB_DATABASE": db.Name(),
		"SURVEYD_LINK_KEYS":        "k1:" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
		"SURVEYD_SECRET_KEY":       base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210")),
		"SURVEYD_SMTP_URL":         smtp.URL(),
		"SURVEYD_SMTP_CA_FILE":     smtp.CAFile,
		"SURVEYD_SMTP_RATE":        "10000",
		"SURVEYD_OUTBOX_LEASE":     "3s",
		"SURVEYD_ADDR":             "127.0.0.1:0",
		"SURVEYD_DATA_DIR":         t.TempDir(),
		"SURVEYD_LOG_LEVEL":        "warn",
	}
	a := testApp(t, env) // the instance that takes the interactions
	ctx := context.Background()
	ws := survey.NewWorkspace("Crash")
	ws.ReminderDays = 0
	if err := a.svc.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	sv := &survey.Survey{WorkspaceID: ws.ID, Kind: survey.CSAT, Name: "CSAT", Scale: "stars", Points: 5, LinkValidDays: 30,
		Question: survey.Text{En: "How did we do?"}, Reasons: []survey.Reason{}}
	if err := a.svc.CreateSurvey(ctx, sv); err != nil {
		t.Fatal(err)
	}
	var invs []*survey.Invitation
	for i := range invitations {
		invs = append(invs, a.svc.NewInvitation(sv, survey.Customer{Email: fmt.Sprintf("c%04d@example.com", i)}, survey.Interaction{}, true))
	}
	if err := a.svc.CreateInvitations(ctx, invs); err != nil {
		t.Fatal(err)
	}

	start := func(name string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "SURVEYD_TEST_CHILD=serve")
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		logFile, _ := os.Create(t.TempDir() + "/" + name + ".log")
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	instances := []*exec.Cmd{start("a"), start("b"), start("c")}

	waitFor(t, "a third of the emails", func() bool { return len(smtp.Messages()) >= invitations/3 })
	if err := instances[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = instances[0].Wait()
	killedAt := len(smtp.Messages())
	time.Sleep(500 * time.Millisecond)
	instances[0] = start("a-restarted")

	deadline := time.Now().Add(3 * time.Minute)
	perInvitation := map[string]int{}
	for {
		clear(perInvitation)
		for _, m := range smtp.Messages() {
			perInvitation[invitationOf(m.Header.Get("Message-Id"))]++
		}
		if len(perInvitation) == invitations || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	repeats := 0
	for _, inv := range invs {
		switch n := perInvitation[inv.ID.Hex()]; {
		case n == 0:
			t.Errorf("invitation %s: no email", inv.ID.Hex())
		case n > 1:
			repeats += n - 1
		}
	}
	t.Logf("%d invitations, %d emails, %d repeated; instance a killed after %d emails", invitations, len(smtp.Messages()), repeats, killedAt)
	if repeats > 1 {
		t.Fatalf("%d repeated emails from one crash; at most the message in the record window may repeat", repeats)
	}
	// The last message leaves the outbox once its send is recorded, just after the SMTP
	// server has it.
	left := func() int64 { n, _ := db.Collection(outbox.MessagesCollection).CountDocuments(ctx, bson.D{}); return n }
	waitFor(t, "the outbox to empty", func() bool { return left() == 0 })
	sent, _ := db.Collection("invitations").CountDocuments(ctx, bson.D{{Key: "status", Value: survey.StatusSent}})
	if sent != invitations {
		t.Errorf("%d invitations marked sent, want %d", sent, invitations)
	}
}

// invitationOf reads the invitation id off a Message-ID <outbox id>.<invitation id>@host.
func invitationOf(messageID string) string {
	local, _, _ := strings.Cut(strings.Trim(messageID, "<>"), "@")
	_, inv, _ := strings.Cut(local, ".")
	return inv
}
