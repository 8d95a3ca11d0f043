package localorg

import (
	"crypto/rand"
	"fmt"

	"github.com/sfsync/sfsync/internal/sfid"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// pod is the two "instance" characters after the key prefix of every Id the
// local org makes (reference §5.4), so its Ids are recognisable.
const pod = "EM"

// makeID returns the 18-character Id of the n-th record with the given key
// prefix: prefix, pod, "0", then n in zero-padded base 62 (9 digits), so
// that Ids sort in creation order (ASCII order of 0-9A-Za-z is digit order).
func makeID(prefix string, n int64) string {
	if len(prefix) != 3 || n < 0 {
		panic(fmt.Sprintf("localorg: bad Id parts %q %d", prefix, n))
	}
	var b [15]byte
	copy(b[:], prefix)
	copy(b[3:], pod)
	b[5] = '0'
	for i := 14; i >= 6; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	return sfid.To18(string(b[:]))
}

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	buf := make([]byte, 1)
	for i := range b {
		for {
			if _, err := rand.Read(buf); err != nil {
				panic("localorg: no randomness: " + err.Error())
			}
			// Reject bytes that would bias the draw.
			if int(buf[0]) < 256-256%len(alphabet) {
				b[i] = alphabet[int(buf[0])%len(alphabet)]
				break
			}
		}
	}
	return string(b)
}

// newOrgID makes a fresh organization Id: "00D", the pod, "0" and nine
// random base-62 characters, so two local orgs never share an Id.
func newOrgID() string {
	return sfid.To18("00D" + pod + "0" + randomString(9, base62))
}
