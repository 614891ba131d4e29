module github.com/dp-tools/terraform-provider-iis

go 1.26.8

require (
	github.com/beevik/etree v1.8.1
	golang.org/x/sys v0.43.0
)
