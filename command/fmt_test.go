package command

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseFmt(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    fmtOptions
		wantErr string
	}{
		{args: nil, want: fmtOptions{}},
		{args: []string{"-check", "-diff"}, want: fmtOptions{check: true, diff: true}},
		{args: []string{"-recursive", "examples", "main.sfsync.hcl"}, want: fmtOptions{recursive: true, paths: []string{"examples", "main.sfsync.hcl"}}},
		{args: []string{"-"}, want: fmtOptions{paths: []string{"-"}}},
		{args: []string{"a", "-check"}, wantErr: "flags come before paths: -check"},
		{args: []string{"-write=false"}, wantErr: "flag provided but not defined: -write"},
	} {
		got, err := parseFmt(tc.args)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("parseFmt(%q) error = %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseFmt(%q): %v", tc.args, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(fmtOptions{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("parseFmt(%q) mismatch (-want +got):\n%s", tc.args, diff)
		}
	}
}
