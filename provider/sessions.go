package provider

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
)

// StopBudget is how long the provider process spends releasing its WinRM
// shells once Terraform has stopped it. Terraform (go-plugin's Client.Kill)
// stops a provider by asking its gRPC server to shut down, which returns
// providerserver.Serve, and kills the process 2 seconds later if it has not
// exited: the budget stays below that.
const StopBudget = 1500 * time.Millisecond

// Sessions are the connections of one provider process: every Pool its
// Configure calls made. Closing them releases the WinRM shells kept for
// reuse (each host's Signal and Delete), so that a run leaves no shell
// holding one of the account's MaxShellsPerUser on the DP.
type Sessions struct {
	mu    sync.Mutex
	pools []*hostconfig.Pool
}

// NewSessions returns an empty registry.
func NewSessions() *Sessions { return &Sessions{} }

func (s *Sessions) add(p *hostconfig.Pool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pools = append(s.pools, p)
}

// Close releases every host's shells, all at once, and returns when all are
// done or ctx ends.
func (s *Sessions) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	pools := s.pools
	s.pools = nil
	s.mu.Unlock()
	errs := make([]error, len(pools))
	var wg sync.WaitGroup
	for i, p := range pools {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = p.Close(ctx) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}
