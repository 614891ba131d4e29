package main

import "time"

// cpuTimes is where a phase's CPU went: self is this process (the
// simulators), children is Terraform with the provider processes, provider
// is the providers' own share of children.
type cpuTimes struct{ self, children, provider time.Duration }

func (c cpuTimes) minus(o cpuTimes) cpuTimes {
	return cpuTimes{self: c.self - o.self, children: c.children - o.children, provider: c.provider - o.provider}
}
