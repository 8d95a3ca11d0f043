package command

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfsync/sfsync/hcl"
)

func TestParseInit(t *testing.T) {
	tests := []struct {
		args []string
		want initOptions
		err  string
	}{
		{args: nil, want: initOptions{local: ".sfsync/localorg", object: "Account"}},
		{args: []string{"proj"}, want: initOptions{dir: "proj", local: ".sfsync/localorg", object: "Account"}},
		{
			args: []string{"-object", "Invoice__c", "-key=Number__c, Year__c", "-local=org", "proj"},
			want: initOptions{dir: "proj", local: "org", object: "Invoice__c", key: []string{"Number__c", "Year__c"}},
		},
		{args: []string{"-alias", "acme-dev"}, want: initOptions{alias: "acme-dev", object: "Account"}},
		{
			args: []string{"-backend=postgres", "-workspace", "staging"},
			want: initOptions{local: ".sfsync/localorg", object: "Account", postgres: true, workspace: "staging"},
		},
		{
			args: []string{"-backend=pg"},
			want: initOptions{local: ".sfsync/localorg", object: "Account", postgres: true},
		},
		{args: []string{"a", "b"}, err: "init takes at most one DIR, not 2 arguments"},
		{args: []string{"-alias=x", "-local=y"}, err: "-alias and -local both choose the org; give one"},
		{args: []string{"-alias="}, err: `-alias: "" is not an sf CLI alias`},
		{args: []string{"-alias=my org"}, err: `-alias: "my org" is not an sf CLI alias`},
		{args: []string{"-local="}, err: `-local: "" is not a directory name`},
		{args: []string{"-object=Account Team"}, err: `-object: "Account Team" is not an object API name`},
		{args: []string{"-object=Bad___c"}, err: `-object: "Bad___c" is not an object API name`},
		{args: []string{"-key=Name,1st"}, err: `-key: "1st" is not a field API name`},
		{args: []string{"-key=Name,Name"}, err: "-key: Name is given twice"},
		{args: []string{"-backend=s3"}, err: `-backend: "s3" is not a backend; it is local (the default) or postgres (or pg)`},
		{args: []string{"-workspace=x"}, err: "-workspace names a state in PostgreSQL; it needs -backend=postgres"},
		{args: []string{"-force"}, err: "flag provided but not defined: -force"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, err := parseInit(tt.args)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("error %v; want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(initOptions{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Whatever init is asked for, what it writes is formatted and valid, and
// the sample record sets its key.
func TestInitConfigValidates(t *testing.T) {
	var cases []initOptions
	objects := []string{"Custom__c", "Asset"}
	for o := range initSamples {
		objects = append(objects, o)
	}
	slices.Sort(objects)
	for _, o := range objects {
		cases = append(cases, initOptions{local: ".sfsync/localorg", object: o})
	}
	cases = append(cases,
		initOptions{alias: "acme-dev", object: "Account", key: []string{"External_Id__c"}, postgres: true, workspace: `st"a${ge}`},
		initOptions{local: `C:\orgs\${x}`, object: "Contact", key: []string{"LastName", "Email"}},
	)
	for _, o := range cases {
		t.Run(o.object+" "+strings.Join(o.key, ","), func(t *testing.T) {
			src := renderInitConfig(o)
			formatted, diags := hcl.Format(src, initConfigName)
			if diags.HasErrors() {
				t.Fatalf("%s\n%s", diags, src)
			}
			if diff := cmp.Diff(string(formatted), string(src)); diff != "" {
				t.Errorf("not formatted (-formatted +written):\n%s", diff)
			}
			cfg, diags := hcl.LoadSources(t.TempDir(), map[string][]byte{initConfigName: src}, hcl.LoadOptions{})
			if diags.HasErrors() {
				t.Fatalf("%s\n%s", diags, src)
			}
			ob := cfg.Object(o.object)
			if ob == nil || len(ob.Records) != 1 {
				t.Fatalf("no object %s with one record in\n%s", o.object, src)
			}
			if len(o.key) > 0 && !slices.Equal(ob.Key, o.key) {
				t.Errorf("key %v; want %v", ob.Key, o.key)
			}
			switch {
			case o.alias != "" && (cfg.Org.Alias != o.alias || cfg.Org.Local != ""):
				t.Errorf("org %+v; want alias %s", cfg.Org, o.alias)
			case o.alias == "" && !strings.HasSuffix(cfg.Org.Local, o.local):
				t.Errorf("org %+v; want local %s", cfg.Org, o.local)
			}
			if o.postgres != (cfg.Backend != nil) || o.postgres && (cfg.Backend.Type != hcl.BackendPostgres || cfg.Backend.Workspace != o.workspace) {
				t.Errorf("backend %+v", cfg.Backend)
			}
		})
	}
}

func TestInitGitignore(t *testing.T) {
	tests := []struct {
		local string
		want  string // the last line
	}{
		{".sfsync/localorg", "/.sfsync/"},
		{"org-data", "/org-data/"},
		{"./data/org/", "/data/org/"},
		{"#org[1]", `/#org\[1]/`},
		{"../shared-org", "# The local org's data is in ../shared-org, outside this directory."},
		{"/var/lib/org", "# The local org's data is in /var/lib/org, outside this directory."},
		{".", "/.sfsync/"},
		{"", "/.sfsync/"}, // -alias
	}
	for _, tt := range tests {
		got := strings.TrimSpace(string(renderGitignore(initOptions{local: tt.local})))
		lines := strings.Split(got, "\n")
		if last := lines[len(lines)-1]; last != tt.want {
			t.Errorf("-local=%s: last line %q; want %q", tt.local, last, tt.want)
		}
		for _, want := range []string{"/sfsync.state.json", "/sfsync.state.json.backup", "/sfsync.state.json.lock", "/.sfsync.state.json.tmp-*"} {
			if !slices.Contains(lines, want) {
				t.Errorf("-local=%s: no line %s", tt.local, want)
			}
		}
	}
}

func TestMergeGitignore(t *testing.T) {
	data := renderGitignore(initOptions{local: "org-data"})
	p := filepath.Join(t.TempDir(), ".gitignore")

	// None yet: the whole of it is written.
	if _, created, err := mergeGitignore(p, data); err != nil || !created {
		t.Fatalf("new .gitignore: created %v, %v", created, err)
	}
	if got, _ := os.ReadFile(p); string(got) != string(data) {
		t.Errorf("new .gitignore:\n%s\nwant:\n%s", got, data)
	}

	// An existing one without a final newline keeps its lines; only the
	// missing patterns are appended, under sfsync's comment.
	old := "build/\n/.sfsync/\r\nsfsync.state.json.lock/\n/org-data"
	if err := os.WriteFile(p, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	added, created, err := mergeGitignore(p, data)
	if err != nil || created || added != 4 {
		t.Fatalf("merge: added %d, created %v, %v", added, created, err)
	}
	got, _ := os.ReadFile(p)
	want := old + "\n\n# sfsync: the state file (when the state is not in a database), its\n" +
		"# lock, backup and temporary files, and the local org's data.\n" +
		"/sfsync.state.json\n/sfsync.state.json.backup\n/sfsync.state.json.lock\n/.sfsync.state.json.tmp-*\n"
	if string(got) != want {
		t.Errorf("merged .gitignore:\n%q\nwant:\n%q", got, want)
	}

	// Merging again adds nothing.
	if added, _, err := mergeGitignore(p, data); err != nil || added != 0 {
		t.Errorf("second merge: added %d, %v", added, err)
	}
	if again, _ := os.ReadFile(p); string(again) != want {
		t.Errorf("second merge changed the file:\n%q", again)
	}
}
