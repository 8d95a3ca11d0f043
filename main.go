// Command sfsync brings the plan/apply workflow to Salesforce data: records
// kept as HCL in Git are compared with an org through the Bulk API, and the
// reviewed differences are applied as Bulk jobs.
//
// This file only wires the command layer to the process; see package command.
package main

import (
	"os"

	"github.com/sfsync/sfsync/command"
)

func main() {
	os.Exit(command.Main())
}
