package provider_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// TestAccNoShellLeftOpen: a series of plans and applies through the real
// Terraform CLI, each starting provider processes of its own, against a DP
// set up as Windows ships (NTLM with message encryption over HTTP), leaves
// no WinRM shell open: every provider process signals and deletes its
// shells when Terraform stops it. Left open, they would hold the account's
// MaxShellsPerUser (30) until their IdleTimeOut, and the 31st process would
// be refused.
func TestAccNoShellLeftOpen(t *testing.T) {
	if acctest.Real() {
		t.Skip("counts the shells of a simulated DP")
	}
	ctx := t.Context()
	h := tfrun.ForTest(ctx, t)
	dp := acctest.NewAuthSim(t, testfixtures.ASPNET, acctest.AuthSimOptions{Auth: dpsim.Auth{Negotiate: true}}).Credentials("ntlm")
	config := func(allowed ...bool) string {
		s := "terraform {\n  required_providers {\n    iis = { source = \"" + tfrun.Source + "\" }\n  }\n}\n" + dp.ProviderBlock()
		for i, a := range allowed {
			s += fmt.Sprintf("resource \"iis_request_filtering_extension\" \"e%d\" {\n  extension = \".ext%d\"\n  allowed   = %t\n}\n", i, i, a)
		}
		return s
	}
	tf, err := h.Workspace("shells", config(true, true), nil)
	if err != nil {
		t.Fatal(err)
	}
	openAfter := func(what string) {
		t.Helper()
		st := dp.Sim.Stats()
		if st.ShellsOpen != 0 {
			t.Fatalf("after %s: %d shells open on the DP (%d created, %d deleted)", what, st.ShellsOpen, st.ShellsCreated, st.Delete)
		}
	}
	for round, allowed := range [][]bool{{true, true}, {false, true}, {true, false}} {
		if err := os.WriteFile(filepath.Join(tf.WorkingDir(), "main.tf"), []byte(config(allowed...)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := tf.Plan(ctx); err != nil {
			t.Fatalf("round %d plan: %v", round, err)
		}
		openAfter(fmt.Sprintf("round %d plan", round))
		if err := tf.Apply(ctx); err != nil {
			t.Fatalf("round %d apply: %v", round, err)
		}
		openAfter(fmt.Sprintf("round %d apply", round))
	}
	if err := tf.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	openAfter("destroy")
	st := dp.Sim.Stats()
	// The shells were deleted by the provider, not expired by the host,
	// and each one's last command was signalled first.
	if st.ShellsCreated < 7 || st.Delete != st.ShellsCreated || st.ShellsExpired != 0 || st.Signal < st.Delete {
		t.Errorf("%d shells created, %d deleted, %d expired, %d signals: want every shell signalled and deleted by the provider",
			st.ShellsCreated, st.Delete, st.ShellsExpired, st.Signal)
	}
	if st.Sealed == 0 || st.Unsealed != 0 {
		t.Errorf("%d sealed, %d plain messages: want NTLM message encryption throughout", st.Sealed, st.Unsealed)
	}
}
