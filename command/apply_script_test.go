package command

import (
	"context"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sfsync/sfsync/localorg"
)

func init() {
	scriptCmds["orgupload"] = cmdOrgUpload
}

// cmdOrgUpload is the script command
//
//	orgupload OBJECT OPERATION
//
// which prints (to its stdout) the data uploaded to the last Bulk ingest
// job of that object and operation in the local org at .sfsync/localorg,
// as the org recorded it. No sfsync may be running on the org.
func cmdOrgUpload(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: orgupload OBJECT OPERATION")
	}
	org, err := localorg.Open(ts.MkAbs(".sfsync/localorg"), localorg.Options{})
	if err != nil {
		ts.Fatalf("open the local org: %v", err)
	}
	defer org.Close()
	ctx := context.Background()
	jobs, err := org.Jobs(ctx)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	var last *localorg.Job
	for _, j := range jobs {
		if j.Kind == localorg.KindIngest && j.Object == args[0] && j.Operation == args[1] {
			last = j
		}
	}
	if last == nil {
		ts.Fatalf("no %s %s job in the local org", args[1], args[0])
	}
	ups, err := org.JobUploads(ctx, last.ID)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	for _, u := range ups {
		ts.Stdout().Write(u)
	}
}
