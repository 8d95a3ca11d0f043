// Package version holds sfsync's own version, which is written into state
// files and saved plans and printed by `sfsync version`. It is a leaf package
// so that every layer can record it without importing the command layer.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is sfsync's release version. Release builds set it with
// -ldflags "-X github.com/sfsync/sfsync/internal/version.Version=v1.2.3".
var Version = "0.1.0-dev"

// Long returns the version with the build details people paste into bug
// reports: the VCS revision when known, the Go version and the platform.
func Long() string {
	rev := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " (" + s.Value[:12] + ")"
			}
		}
	}
	return fmt.Sprintf("sfsync v%s%s %s %s/%s", Version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
