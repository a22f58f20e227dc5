package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/store"
)

// With the roles split over processes sharing one database, the collector's exporters and
// traffic backlog and the edge's state (applied rule set, BGP sessions) live in the memory of
// the process running the role. That process publishes them to the store (netguard_runtime,
// one row per kind and process) every netguardPublishEvery; a process without the role reads
// the fresh rows back for the staff dashboard and API. A row older than netguardReportMaxAge is stale (its process
// stopped) and is not shown; rows older than netguardReportKeep are deleted by the publishers.
const (
	netguardPublishEvery = 5 * time.Second
	netguardReportMaxAge = 3 * netguardPublishEvery
	netguardReportKeep   = time.Hour

	runtimeExporters = "exporters" // []mitigation.Exporter, from the collector role
	runtimeEdge      = "edge"      // mitigation.EdgeState, from the edge role
	runtimeTraffic   = "traffic"   // mitigation.TrafficBacklog, from the collector role
)

// The bodies are the JSON of the mitigation types, field names as keys: a snapshot lives
// seconds and is read by the same release (a rolling upgrade shows one stale period at most).

// netguardPublishes reports whether this process publishes runtime status (collector or edge).
func (a *App) netguardPublishes() bool { return a.Netguard.Collector != nil || a.Cfg.Has("edge") }

// NetguardPublish writes this process's runtime status to the store: the exporters its collector
// hears and its traffic writer's backlog (collector role) and its edge state (edge role), and
// deletes the rows of processes gone for netguardReportKeep. The loop calls it every
// netguardPublishEvery; tests call it directly.
func (a *App) NetguardPublish(ctx context.Context) error {
	a.Netguard.publishMu.Lock()
	defer a.Netguard.publishMu.Unlock()
	now := a.Clock.Now()
	var list []error
	if c := a.Netguard.Collector; c != nil {
		list = append(list, a.putRuntime(ctx, runtimeExporters, now, localExporters(c)),
			a.putRuntime(ctx, runtimeTraffic, now, a.Netguard.Watch.TrafficBacklog()))
	}
	if a.Cfg.Has("edge") {
		list = append(list, a.putRuntime(ctx, runtimeEdge, now, a.Netguard.Edge.State()))
	}
	if _, err := a.DB.PruneNetguardRuntime(ctx, now.Add(-netguardReportKeep)); err != nil {
		list = append(list, err)
	}
	return errors.Join(list...)
}

func (a *App) putRuntime(ctx context.Context, kind string, now time.Time, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode netguard %s status: %w", kind, err)
	}
	return a.DB.PutNetguardRuntime(ctx, store.RuntimeSnapshot{Kind: kind, Node: hostname(), UpdatedAt: now, Body: b})
}

// netguardPublishLoop publishes at once, then every netguardPublishEvery until ctx ends; a
// failed publication is logged and retried at the next period. At the end it deletes this
// process's reports: a restarted process, under another node name, would otherwise be counted
// beside them (traffic backlog, edge peers) until they went stale.
func (a *App) netguardPublishLoop(ctx context.Context) error {
	t := a.Clock.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			a.Netguard.publishMu.Lock()
			defer a.Netguard.publishMu.Unlock()
			if err := a.DB.DeleteNetguardRuntime(dctx, hostname()); err != nil {
				a.Log.Warn("netguard status of this process not withdrawn", logkey.Error, err)
			}
			return nil
		case <-t.C():
		}
		if err := a.NetguardPublish(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("netguard status not published", logkey.Error, err)
		}
		t.Reset(netguardPublishEvery)
	}
}

// freshRuntime reads the snapshots of kind published within netguardReportMaxAge, by node; with
// none, a *mitigation.NoReportError naming role and the latest stale snapshot, if any.
func (a *App) freshRuntime(ctx context.Context, kind, role string) ([]store.RuntimeSnapshot, error) {
	snaps, err := a.DB.NetguardRuntime(ctx, kind, a.Clock.Now().Add(-netguardReportMaxAge))
	if err != nil || len(snaps) > 0 {
		return snaps, err
	}
	all, err := a.DB.NetguardRuntime(ctx, kind, time.Time{})
	if err != nil {
		return nil, err
	}
	e := &mitigation.NoReportError{Role: role, MaxAge: netguardReportMaxAge}
	for _, s := range all {
		if s.UpdatedAt.After(e.Last) {
			e.Last, e.Node = s.UpdatedAt, s.Node
		}
	}
	return nil, e
}

// netguardEdgeState reports the edge's state: this process's in the edge role, else the state
// the processes running it published (mergeEdgeStates).
func (a *App) netguardEdgeState() func(context.Context) (mitigation.EdgeState, error) {
	if a.Cfg.Has("edge") {
		return func(context.Context) (mitigation.EdgeState, error) { return a.Netguard.Edge.State(), nil }
	}
	return func(ctx context.Context) (mitigation.EdgeState, error) {
		snaps, err := a.freshRuntime(ctx, runtimeEdge, "edge")
		if err != nil {
			return mitigation.EdgeState{}, err
		}
		states := make([]mitigation.EdgeState, len(snaps))
		nodes := make([]string, len(snaps))
		for i, s := range snaps {
			if err := json.Unmarshal(s.Body, &states[i]); err != nil {
				return mitigation.EdgeState{}, fmt.Errorf("netguard edge status of %s: %w", s.Node, err)
			}
			nodes[i] = s.Node
		}
		return mergeEdgeStates(nodes, states), nil
	}
}

// mergeEdgeStates folds the states of several edge processes (by node) into one: every peer,
// synced only when each is synced and all hold the same set, the errors prefixed by their node.
func mergeEdgeStates(nodes []string, states []mitigation.EdgeState) mitigation.EdgeState {
	if len(states) == 1 {
		return states[0]
	}
	out := states[0]
	out.Peers = nil
	var errs []string
	applied := states[0].Applied.String()
	for i, st := range states {
		out.Peers = append(out.Peers, st.Peers...)
		out.Synced = out.Synced && st.Synced && st.Applied.String() == applied
		if st.At.Before(out.At) {
			out.At = st.At
		}
		if st.Error != "" {
			errs = append(errs, nodes[i]+": "+st.Error)
		}
	}
	out.Error = strings.Join(errs, "; ")
	return out
}

// netguardExporters reports the flow exporters: those this process's collector hears, else
// those the processes running the collector role published, merged (the latest heard of each
// address).
func (a *App) netguardExporters() func(context.Context) ([]mitigation.Exporter, error) {
	if c := a.Netguard.Collector; c != nil {
		return func(context.Context) ([]mitigation.Exporter, error) { return localExporters(c), nil }
	}
	return func(ctx context.Context) ([]mitigation.Exporter, error) {
		snaps, err := a.freshRuntime(ctx, runtimeExporters, "collector")
		if err != nil {
			return nil, err
		}
		var out []mitigation.Exporter
		for _, s := range snaps {
			var list []mitigation.Exporter
			if err := json.Unmarshal(s.Body, &list); err != nil {
				return nil, fmt.Errorf("netguard exporters of %s: %w", s.Node, err)
			}
			for _, e := range list {
				i := slices.IndexFunc(out, func(x mitigation.Exporter) bool { return x.Addr == e.Addr })
				switch {
				case i < 0:
					out = append(out, e)
				case e.LastSeen.After(out[i].LastSeen):
					out[i] = e
				}
			}
		}
		slices.SortFunc(out, func(x, y mitigation.Exporter) int { return x.Addr.Compare(y.Addr) })
		return out, nil
	}
}

// netguardTraffic reports the traffic writer's backlog: this process's where it runs the
// collector, else the sum of those the processes running the collector role published (each
// writes the points of the flows it hears).
func (a *App) netguardTraffic() func(context.Context) (mitigation.TrafficBacklog, error) {
	if a.Netguard.Collector != nil {
		w := a.Netguard.Watch
		return func(context.Context) (mitigation.TrafficBacklog, error) { return w.TrafficBacklog(), nil }
	}
	return func(ctx context.Context) (mitigation.TrafficBacklog, error) {
		snaps, err := a.freshRuntime(ctx, runtimeTraffic, "collector")
		if err != nil {
			return mitigation.TrafficBacklog{}, err
		}
		var out mitigation.TrafficBacklog
		for _, s := range snaps {
			var b mitigation.TrafficBacklog
			if err := json.Unmarshal(s.Body, &b); err != nil {
				return mitigation.TrafficBacklog{}, fmt.Errorf("netguard traffic backlog of %s: %w", s.Node, err)
			}
			out.Queued += b.Queued
			out.Dropped += b.Dropped
		}
		return out, nil
	}
}

// localExporters is what the collector c hears.
func localExporters(c *collector.Collector) []mitigation.Exporter {
	var out []mitigation.Exporter
	for _, e := range c.Exporters() {
		out = append(out, mitigation.Exporter{Addr: e.Addr, Format: e.Format, LastSeen: e.LastSeen, SamplingRate: e.SamplingRate,
			FlowsPerSecond: e.FlowsPerSecond, ActiveTimeout: e.ActiveTimeout, Warning: e.Warning})
	}
	return out
}
