// Package moduletest runs examples/modules/configmgr-distribution-point and
// the scheduled drift check of examples/pipelines against several simulated
// distribution points with a real Terraform CLI, and runs each example
// pipeline's drift step as its CI system would (its shell and flags), so that
// a drift fails the run. It has only tests.
package moduletest
