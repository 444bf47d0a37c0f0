//go:build tools

// Package tools pins the Consul release that infra/infra.sh builds.
package tools

import _ "github.com/hashicorp/consul"
