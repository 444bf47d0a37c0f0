//go:build tools

// Package tools pins the SeaweedFS revision that infra/infra.sh builds (its `weed` binary serves S3).
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
