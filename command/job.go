package command

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/sfsync/sfsync/bulk"
)

// orgEnvHelp documents how the job commands find the org; README repeats it.
const orgEnvHelp = `The org comes from flags or, for secrets, only from the environment:
  -instance-url URL    SFSYNC_INSTANCE_URL    the org's base URL (with an access token)
  (secret)             SFSYNC_ACCESS_TOKEN    a session id / OAuth access token
  -sf-org ALIAS        SFSYNC_SF_ORG          reuse a Salesforce CLI login (sf org login web -a ALIAS)
  -login-url URL       SFSYNC_LOGIN_URL       where to log in (default: the instance URL, else
                                              https://login.salesforce.com; a My Domain works)
  -username NAME       SFSYNC_USERNAME        for SOAP, password and JWT logins
  (secret)             SFSYNC_PASSWORD        password (SOAP or OAuth username-password flow)
  (secret)             SFSYNC_SECURITY_TOKEN  appended to the password
  -client-id ID        SFSYNC_CLIENT_ID       connected app consumer key (OAuth flows)
  (secret)             SFSYNC_CLIENT_SECRET   connected app secret
  (secret)             SFSYNC_REFRESH_TOKEN   OAuth refresh token
  -jwt-key-file FILE   SFSYNC_JWT_KEY_FILE    private key for the JWT bearer flow
  (secret)             SFSYNC_JWT_KEY         the private key itself (PEM), instead of a file
                       SFSYNC_AUTH            the method: access_token, sf, jwt, refresh_token,
                                              client_credentials or password
  -api-version V       SFSYNC_API_VERSION     highest API version to use (default ` + bulk.MaxAPIVersion + `)
Settings come from flags first, then the working directory's org block
(whose secrets are read from the variable or file it names), then the
environment. The org block's auth picks the method, else SFSYNC_AUTH;
otherwise the first that applies wins: access token; sf CLI login; JWT (key file, client id, username);
refresh token; username + password with a client id (OAuth) or without (SOAP,
API < 65.0); client id + secret alone (client credentials).`

func init() {
	register(&Command{
		Name:     "job",
		Synopsis: "Inspect and abort Bulk API jobs (list, show, abort)",
		Usage: `Usage: sfsync job list|show|abort ...

  sfsync job list [-query] [-json]            Bulk API jobs of the org (1.0 jobs appear as Classic)
  sfsync job show [-api 2.0|1.0] [-results DIR] [-json] JOBID
                                              a job's state, counts and batches; -results writes its result files
  sfsync job abort [-api 2.0|1.0] JOBID       abort a job (records already processed stay)

` + orgEnvHelp,
		Run: func(ctx context.Context, env *Env, args []string) int {
			if len(args) == 0 {
				env.Errorf("job: want list, show or abort\n\nRun 'sfsync job -help' for usage.")
				return ExitError
			}
			env.Errorf("job: unknown subcommand %q (want list, show or abort)", args[0])
			return ExitError
		},
	})
	for _, sub := range []string{"list", "show", "abort"} {
		sub := sub
		register(&Command{
			Name:     "job " + sub,
			Synopsis: map[string]string{"list": "List Bulk API jobs", "show": "Show a Bulk API job and write its results", "abort": "Abort a Bulk API job"}[sub],
			Hidden:   true,
			Usage:    "Usage: sfsync job " + sub + " ...\n\nSee 'sfsync job -help'.\n\n" + orgEnvHelp,
			Run: func(ctx context.Context, env *Env, args []string) int {
				opts, err := parseJobArgs(sub, args, env.Getenv)
				if err != nil {
					return usageError(env, "job "+sub, err)
				}
				return runJob(ctx, env, opts)
			},
		})
	}
}

// jobOptions is the parsed command line of a job subcommand.
type jobOptions struct {
	sub        string // list, show, abort
	jobID      string
	api        bulk.API // 0: find out
	query      bool     // list: query jobs instead of ingest jobs
	resultsDir string
	json       bool
	flags      orgOptions // org settings given as flags
	env        orgOptions // org settings from SFSYNC_* variables
}

// parseJobArgs parses a job subcommand's arguments. It does no I/O; getenv
// supplies the environment.
func parseJobArgs(sub string, args []string, getenv func(string) string) (jobOptions, error) {
	o := jobOptions{sub: sub, env: orgFromEnv(getenv)}
	fs := flag.NewFlagSet("job "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var api string
	f := &o.flags
	addOrgFlags(fs, f)
	fs.BoolVar(&o.json, "json", false, "")
	switch sub {
	case "list":
		fs.BoolVar(&o.query, "query", false, "")
	case "show":
		fs.StringVar(&api, "api", "", "")
		fs.StringVar(&o.resultsDir, "results", "", "")
	case "abort":
		fs.StringVar(&api, "api", "", "")
	}
	rest, err := parseFlags(fs, args) // flags may follow the job id
	if err != nil {
		return o, err
	}
	if api != "" {
		a, err := bulk.ParseAPI(api)
		if err != nil || a == bulk.REST {
			return o, fmt.Errorf("-api %q: want 2.0 or 1.0", api)
		}
		o.api = a
	}
	switch sub {
	case "list":
		if len(rest) > 0 {
			return o, fmt.Errorf("unexpected argument %q", rest[0])
		}
	default:
		if len(rest) != 1 {
			return o, errors.New("want exactly one job id")
		}
		o.jobID = rest[0]
		if !strings.HasPrefix(o.jobID, "750") || len(o.jobID) != 15 && len(o.jobID) != 18 {
			return o, fmt.Errorf("%q is not a job id (750…, 15 or 18 characters)", o.jobID)
		}
	}
	return o, nil
}

func runJob(ctx context.Context, env *Env, o jobOptions) int {
	dir, block, err := configOrg(env)
	if err != nil {
		env.Errorf("job %s: %v", o.sub, err)
		return ExitError
	}
	conn, err := connectOrg(ctx, env, o.flags, dir, block)
	if err != nil {
		env.Errorf("job %s: %v", o.sub, err)
		return ExitError
	}
	defer conn.Close()
	c := conn.Client
	switch o.sub {
	case "list":
		err = jobList(ctx, env, c, o)
	case "show":
		err = jobShow(ctx, env, c, o)
	case "abort":
		err = jobAbort(ctx, env, c, o)
	}
	if err != nil {
		env.Errorf("job %s: %v", o.sub, err)
		return ExitError
	}
	return ExitOK
}

func jobList(ctx context.Context, env *Env, c *bulk.Client, o jobOptions) error {
	jobs, err := c.ListJobs2(ctx, o.query)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSONOut(env.Stdout, jobs)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(env.Stdout, "No jobs.")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAPI\tOPERATION\tOBJECT\tSTATE\tCREATED")
	for _, j := range jobs {
		api := "2.0"
		if j.JobType == "Classic" {
			api = "1.0"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, api, j.Operation, j.Object, j.State, j.CreatedDate)
	}
	return tw.Flush()
}

// jobKind finds out which API and kind a job belongs to when -api is not
// given: a Bulk 2.0 ingest job, a 2.0 query job, or a 1.0 job. For a 1.0
// job that the 2.0 endpoint also knows (jobType Classic), info2 carries its
// API version.
func jobKind(ctx context.Context, c *bulk.Client, o jobOptions) (api bulk.API, query bool, info2 bulk.JobInfo2, err error) {
	if o.api != bulk.Bulk1 {
		for _, q := range []bool{false, true} {
			info, err := c.JobInfo2(ctx, q, o.jobID)
			var ae *bulk.APIError
			switch {
			case err == nil && info.JobType == "Classic":
				info2 = info
			case err == nil:
				return bulk.Bulk2, q, info, nil
			case errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500:
				// Not a job of this kind.
			default:
				return 0, false, info, err
			}
		}
		if o.api == bulk.Bulk2 {
			return 0, false, info2, fmt.Errorf("no Bulk 2.0 job %s", o.jobID)
		}
	}
	return bulk.Bulk1, false, info2, nil
}

// noSuchJob says that a job id names no job at all when the Bulk 1.0
// lookup, tried after the Bulk 2.0 ones, fails on a job the org does not
// have; other errors pass unchanged.
func noSuchJob(o jobOptions, err error) error {
	var ae *bulk.APIError
	if err != nil && o.api == 0 && errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 {
		return fmt.Errorf("the org has no Bulk API job %s: neither a Bulk API 2.0 ingest or query job nor a Bulk API 1.0 job (%v)", o.jobID, err)
	}
	return err
}

// client1 is the client for a Bulk 1.0 job: its URLs must carry the job's
// API version.
func client1(c *bulk.Client, info2 bulk.JobInfo2) *bulk.Client {
	if info2.ID != "" {
		if cc, err := c.WithVersion(info2.Version()); err == nil {
			return cc
		}
	}
	return c
}

type jobView struct {
	API     string            `json:"api"`
	Job     any               `json:"job"`
	Batches []bulk.BatchInfo1 `json:"batches,omitempty"`
	Files   []string          `json:"resultFiles,omitempty"`
}

func jobShow(ctx context.Context, env *Env, c *bulk.Client, o jobOptions) error {
	api, query, info, err := jobKind(ctx, c, o)
	if err != nil {
		return err
	}
	view := jobView{API: api.String()}
	var job1 *bulk.Job1
	if api == bulk.Bulk2 {
		view.Job = info
	} else {
		job1, err = client1(c, info).OpenJob1(ctx, o.jobID)
		if err != nil {
			return noSuchJob(o, err)
		}
		view.Job = job1.Info
		if view.Batches, err = job1.Batches(ctx); err != nil {
			return err
		}
	}
	if o.resultsDir != "" {
		dir := env.Path(o.resultsDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if api == bulk.Bulk2 {
			view.Files, err = writeResults2(ctx, c, o.jobID, query, info, dir)
		} else {
			view.Files, err = writeResults1(ctx, job1, view.Batches, dir)
		}
		if err != nil {
			return err
		}
	}
	if o.json {
		return writeJSONOut(env.Stdout, view)
	}
	w := env.Stdout
	if api == bulk.Bulk2 {
		kind := "ingest"
		if query {
			kind = "query"
		}
		fmt.Fprintf(w, "Job %s (Bulk API 2.0 %s, API %s)\n", info.ID, kind, info.Version())
		fmt.Fprintf(w, "  Operation:  %s %s\n", info.Operation, info.Object)
		fmt.Fprintf(w, "  State:      %s\n", info.State)
		fmt.Fprintf(w, "  Created:    %s\n", info.CreatedDate)
		fmt.Fprintf(w, "  Records:    %d processed, %d failed\n", info.NumberRecordsProcessed, info.NumberRecordsFailed)
		if info.ErrorMessage != "" {
			fmt.Fprintf(w, "  Error:      %s\n", info.ErrorMessage)
		}
	} else {
		j := job1.Info
		fmt.Fprintf(w, "Job %s (Bulk API 1.0, API %s)\n", j.ID, j.Version())
		fmt.Fprintf(w, "  Operation:  %s %s (%s, %s)\n", j.Operation, j.Object, j.ContentType, j.ConcurrencyMode)
		fmt.Fprintf(w, "  State:      %s\n", j.State)
		fmt.Fprintf(w, "  Created:    %s\n", j.CreatedDate)
		fmt.Fprintf(w, "  Records:    %d processed, %d failed\n", j.NumberRecordsProcessed, j.NumberRecordsFailed)
		fmt.Fprintf(w, "  Batches:    %d (%d queued, %d in progress, %d completed, %d failed)\n", j.NumberBatchesTotal, j.NumberBatchesQueued, j.NumberBatchesInProgress, j.NumberBatchesCompleted, j.NumberBatchesFailed)
		if len(view.Batches) > 0 {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  BATCH\tSTATE\tPROCESSED\tFAILED\tMESSAGE")
			for _, b := range view.Batches {
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\n", b.ID, b.State, b.NumberRecordsProcessed, b.NumberRecordsFailed, b.StateMessage)
			}
			tw.Flush()
		}
	}
	for _, f := range view.Files {
		fmt.Fprintf(w, "Wrote %s\n", f)
	}
	return nil
}

func writeStream(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeRows writes a result stream back out as CSV, every value quoted as
// Salesforce writes its result files.
func writeRows(path string, cr *bulk.CSVReader) error {
	defer cr.Close()
	h, err := cr.Header()
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if h != nil {
		writeQuotedLine(w, h.Names())
		for cr.Next() {
			writeQuotedLine(w, cr.Row().Values)
		}
	}
	if err := cr.Err(); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeQuotedLine(w *bufio.Writer, cells []string) {
	for i, v := range cells {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
	}
	w.WriteByte('\n')
}

func writeResults2(ctx context.Context, c *bulk.Client, jobID string, query bool, info bulk.JobInfo2, dir string) ([]string, error) {
	var files []string
	if query {
		if info.State != "JobComplete" {
			return nil, fmt.Errorf("query job %s is %s: no results yet", jobID, info.State)
		}
		locator := ""
		for page := 1; ; page++ {
			rows, next, err := c.QueryResultPage2(ctx, jobID, locator, 0)
			if err != nil {
				return files, err
			}
			p := filepath.Join(dir, fmt.Sprintf("results-%03d.csv", page))
			if err := writeRows(p, rows); err != nil {
				return files, err
			}
			files = append(files, p)
			if next == "" {
				return files, nil
			}
			locator = next
		}
	}
	if !info.Terminal() {
		return nil, fmt.Errorf("job %s is %s: results come when it is JobComplete, Failed or Aborted", jobID, info.State)
	}
	for _, set := range []bulk.ResultSet{bulk.Successful, bulk.Failed, bulk.Unprocessed} {
		rows, err := c.IngestResults2(ctx, jobID, set)
		if err != nil {
			return files, err
		}
		p := filepath.Join(dir, set.String()+".csv")
		if err := writeRows(p, rows); err != nil {
			return files, err
		}
		files = append(files, p)
	}
	return files, nil
}

func writeResults1(ctx context.Context, j *bulk.Job1, batches []bulk.BatchInfo1, dir string) ([]string, error) {
	var files []string
	query := j.Info.Operation == "query" || j.Info.Operation == "queryAll"
	ext := strings.ToLower(j.Info.ContentType)
	if ext == "" {
		ext = "xml"
	}
	for _, b := range batches {
		if b.State != "Completed" && (b.State != "Failed" || query) {
			continue
		}
		if !query {
			p := filepath.Join(dir, "batch-"+b.ID+"-result."+ext)
			err := func() error {
				rc, err := j.BatchResultRaw(ctx, b.ID)
				if err != nil {
					return err
				}
				defer rc.Close()
				return writeStream(p, rc)
			}()
			if err != nil {
				return files, err
			}
			files = append(files, p)
			continue
		}
		ids, err := j.ResultList(ctx, b.ID)
		if err != nil {
			return files, err
		}
		for _, id := range ids {
			p := filepath.Join(dir, "batch-"+b.ID+"-"+id+"."+ext)
			err := func() error {
				rc, err := j.Result(ctx, b.ID, id)
				if err != nil {
					return err
				}
				defer rc.Close()
				return writeStream(p, rc)
			}()
			if err != nil {
				return files, err
			}
			files = append(files, p)
		}
	}
	return files, nil
}

func jobAbort(ctx context.Context, env *Env, c *bulk.Client, o jobOptions) error {
	api, query, info2, err := jobKind(ctx, c, o)
	if err != nil {
		return err
	}
	var state string
	if api == bulk.Bulk2 {
		info, err := c.SetJobState2(ctx, query, o.jobID, "Aborted")
		if err != nil {
			return err
		}
		state = info.State
	} else {
		j, err := client1(c, info2).OpenJob1(ctx, o.jobID)
		err = noSuchJob(o, err)
		if err != nil {
			return err
		}
		info, err := j.Abort(ctx)
		if err != nil {
			return err
		}
		state = info.State
	}
	fmt.Fprintf(env.Stdout, "Job %s: %s. Records already processed stay as they are.\n", o.jobID, state)
	return nil
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
