package proctest

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// A child's peak is its own, not the high-water mark it inherits from a
// parent that used more memory first.
func TestRunReportsTheChildsOwnPeak(t *testing.T) {
	ballast := make([]byte, 256<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	// A child that lives long enough to be polled: one that exits within
	// milliseconds leaves only getrusage's figure, which is the parent's.
	child := exec.Command(os.Args[0], "-test.run=^TestHelperSleep$")
	child.Env = append(os.Environ(), "PROCTEST_CHILD=1")
	u, err := Run(child)
	if err != nil {
		t.Fatal(err)
	}
	// Without /proc only getrusage's figure is there, which may be the
	// parent's.
	if HWM("self") > 0 && (u.PeakRSS <= 0 || u.PeakRSS >= 200<<20) {
		t.Errorf("peak of an idle child = %d MB, want more than 0 and well under the parent's 256 MB", u.PeakRSS>>20)
	}
	if u.Wall < 200*time.Millisecond || u.CPU < 0 {
		t.Errorf("usage %+v", u)
	}
	ballast[0] = 2
}

// TestHelperSleep is the child of TestRunReportsTheChildsOwnPeak: run as
// such, it stays up for a while so that its memory can be polled.
func TestHelperSleep(t *testing.T) {
	if os.Getenv("PROCTEST_CHILD") != "1" {
		return
	}
	time.Sleep(300 * time.Millisecond)
}
