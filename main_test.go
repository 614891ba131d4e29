package main

import (
	"maps"
	"testing"
)

func TestQuietUnreadLogs(t *testing.T) {
	off := map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER": "off"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string // the environment afterwards
	}{
		{"Terraform drops the logs: all off", map[string]string{}, off},
		{"TF_LOG set: left alone", map[string]string{"TF_LOG": "TRACE"}, map[string]string{"TF_LOG": "TRACE"}},
		{"TF_LOG_PROVIDER set: left alone", map[string]string{"TF_LOG_PROVIDER": "debug"}, map[string]string{"TF_LOG_PROVIDER": "debug"}},
		{"a level the user chose is kept", map[string]string{"TF_LOG_SDK_PROTO": "trace"},
			map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "trace", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER": "off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			quietUnreadLogs(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if !maps.Equal(env, tc.want) {
				t.Errorf("environment %v, want %v", env, tc.want)
			}
		})
	}
}
