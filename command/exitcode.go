package command

// Exit codes: the one table, shown in -help and README.
const (
	// ExitOK: success, or a plan without changes.
	ExitOK = 0
	// ExitError: an error; nothing was written, or the failure came before
	// anything was written.
	ExitError = 1
	// ExitChanges: a plan with changes (plan -detailed-exitcode only;
	// adoption alone is not a change).
	ExitChanges = 2
	// ExitPartial: apply finished, but some records failed.
	ExitPartial = 3
	// ExitInterrupted: interrupted (Ctrl-C), or an apply stopped by an error
	// after it began writing; state holds everything known to be finished.
	ExitInterrupted = 4
)

const exitCodeHelp = `Exit codes:
  0  success, or no changes
  1  error (nothing written, or the failure came before anything was written)
  2  changes present (plan -detailed-exitcode only; adoption alone is not a change)
  3  apply finished with some records failed
  4  interrupted: by Ctrl-C, or by an error after apply began writing
`
