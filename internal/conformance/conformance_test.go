package conformance

import (
	"strings"
	"testing"
)

func TestReadAndList(t *testing.T) {
	if got := string(Read("bulk1/job-create-insert-open-v37.xml")); !strings.Contains(got, "<jobInfo") {
		t.Fatalf("unexpected body: %q", got)
	}
	names := List("bulk2", "query-results")
	if len(names) != 2 || names[0] != "bulk2/query-results-account-v52.csv" {
		t.Fatalf("List = %q", names)
	}
	for _, folder := range []string{"bulk1", "bulk2", "describe", "limits", "oauth", "rest", "soap-login"} {
		if len(List(folder)) == 0 {
			t.Errorf("folder %s is empty", folder)
		}
	}
}
