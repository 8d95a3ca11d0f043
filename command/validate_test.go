package command

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sfsync/sfsync/hcl"
)

func TestParseValidate(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    validateOptions
		wantErr string
	}{
		{args: nil, want: validateOptions{}},
		{args: []string{"-json"}, want: validateOptions{json: true}},
		{
			args: []string{"-var", "region=EU", "-var-file=prod.hcl", "-var=codes=[\"DE\"]"},
			want: validateOptions{vars: []hcl.VarInput{{Arg: "region=EU"}, {File: true, Arg: "prod.hcl"}, {Arg: `codes=["DE"]`}}},
		},
		{args: []string{"-var", "region"}, wantErr: `invalid value "region" for flag -var: -var "region": want NAME=VALUE`},
		{args: []string{"-var", "1x=2"}, wantErr: `invalid value "1x=2" for flag -var: -var "1x=2": "1x" is not a valid variable name`},
		{args: []string{"-var-file="}, wantErr: `invalid value "" for flag -var-file: -var-file needs a file name`},
		{args: []string{"dir"}, wantErr: "validate takes no arguments (use -chdir=DIR to validate another directory): dir"},
		{args: []string{"-bogus"}, wantErr: "flag provided but not defined: -bogus"},
	} {
		got, err := parseValidate(tc.args)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("parseValidate(%q) error = %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseValidate(%q): %v", tc.args, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(validateOptions{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("parseValidate(%q) mismatch (-want +got):\n%s", tc.args, diff)
		}
	}
}
