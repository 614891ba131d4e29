//go:build unix

package main

import (
	"syscall"
	"time"
)

// readCPU is the CPU time (user and system) of this process, where the
// simulators run, and of its waited-for descendants: Terraform and the
// provider processes it starts and waits for.
func readCPU() cpuTimes {
	return cpuTimes{self: rusage(syscall.RUSAGE_SELF), children: rusage(syscall.RUSAGE_CHILDREN)}
}

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
