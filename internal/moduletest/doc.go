// Package moduletest runs examples/modules/configmgr-distribution-point and
// the scheduled drift check of examples/pipelines against several simulated
// distribution points with a real Terraform CLI. It has only tests.
package moduletest
