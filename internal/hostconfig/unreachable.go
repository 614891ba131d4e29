package hostconfig

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// UnreachableError is a host that did not answer within its read budget:
// its Store gives this same answer to every later read and write of the
// provider process, at once, so that a dead or hung DP costs one timeout
// per run, not one per resource and retry.
type UnreachableError struct {
	Host     string
	Path     string
	Attempts int           // reads tried
	Elapsed  time.Duration // from the first attempt to giving up
	Err      error         // the last attempt's failure
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s did not answer: %d read(s) of %s over %s failed; the last one: %v",
		e.Host, e.Attempts, e.Path, e.Elapsed.Round(100*time.Millisecond), e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsUnreachable reports whether err says the host did not answer (see
// UnreachableError), as opposed to answering with an error.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}

// silent reports whether a failed read means the host did not answer: the
// transport says so (an Unreachable() bool method: no connection, or no
// reply in time), or the read budget ran out. A cancellation by the caller
// is not the host's doing and is not classified here.
func silent(budgetCtx context.Context, err error) bool {
	if errors.Is(budgetCtx.Err(), context.DeadlineExceeded) {
		return true
	}
	var u interface{ Unreachable() bool }
	return errors.As(err, &u) && u.Unreachable()
}
