// Command naragowire is a test oracle: Go's own encoding/json and crypto/ed25519 reading and
// writing nara's plaza messages (spec plaza-protocol.md §2.3, §3, §4.3, §4.4).
//
// The structs below mirror the reference's wire structs as the spec describes them (field order,
// Go field names vs. json tags, Go numeric types, omitempty). They are written from the spec,
// stdlib only, so that the Python test suite can ask a real Go decoder/encoder whether nara's
// bytes are what a Go nara expects.
//
// Usage (JSON lines on stdin, one JSON line per input on stdout):
//
//	naragowire decode   {"kind":"hey_there|chau|newspaper|howdy|ledger_request|ledger_response|status","raw":"<b64>"}
//	naragowire encode   {"kind":"newspaper|hey_there|chau|howdy|ledger_request|float|string", ...}
//	naragowire checkpoint {"op":"make|verify", ...}  proposals, votes and finals (§2.3, §3.6)
//	naragowire version  prints runtime.Version()
package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// ---- wire structs (spec §3.2, §3.3, §2.3, §4.3, §4.4) --------------------------------------

// SyncEvent is the ledger envelope (§3.2). Payloads other than hey_there/chau are kept as raw
// JSON: nara never publishes them on the plaza, and the spec does not pin their omitempty rules.
type SyncEvent struct {
	ID          string          `json:"id"`
	Timestamp   int64           `json:"ts"`
	Service     string          `json:"svc"`
	Emitter     string          `json:"emitter,omitempty"`
	EmitterID   string          `json:"emitter_id,omitempty"`
	Signature   string          `json:"sig,omitempty"`
	Social      json.RawMessage `json:"social,omitempty"`
	Ping        json.RawMessage `json:"ping,omitempty"`
	Observation json.RawMessage `json:"observation,omitempty"`
	HeyThere    *HeyThereEvent  `json:"hey_there,omitempty"`
	Chau        *ChauEvent      `json:"chau,omitempty"`
	Seen        json.RawMessage `json:"seen,omitempty"`
	Checkpoint  json.RawMessage `json:"checkpoint,omitempty"`
}

// SocialEventPayload: json tags and omitempty as in the reference (sync_event.go:154-162).
type SocialEventPayload struct {
	Type     string `json:"type"`
	Actor    string `json:"actor,omitempty"`
	ActorID  string `json:"actor_id,omitempty"`
	Target   string `json:"target,omitempty"`
	TargetID string `json:"target_id,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Witness  string `json:"witness,omitempty"`
}

// SocialSyncEvent is the SyncEvent envelope with the social payload typed (svc "social").
type SocialSyncEvent struct {
	ID        string              `json:"id"`
	Timestamp int64               `json:"ts"`
	Service   string              `json:"svc"`
	Emitter   string              `json:"emitter,omitempty"`
	EmitterID string              `json:"emitter_id,omitempty"`
	Signature string              `json:"sig,omitempty"`
	Social    *SocialEventPayload `json:"social,omitempty"`
}

func socialContent(p *SocialEventPayload) string {
	return p.Type + ":" + p.Actor + ":" + p.Target + ":" + p.Reason + ":" + p.Witness
}

// HeyThereEvent has no json tags: keys are the Go field names (§2.3, §3.3).
type HeyThereEvent struct {
	From      string
	PublicKey string
	MeshIP    string
	ID        string
	Signature string
}

// ChauEvent has no json tags (§2.3).
type ChauEvent struct {
	From      string
	PublicKey string
	ID        string
	Signature string
}

// NaraObservation: snake_case tags, all omitempty (§4.3).
type NaraObservation struct {
	Restarts     int64   `json:"restarts,omitempty"`
	TotalUptime  int64   `json:"total_uptime,omitempty"`
	StartTime    int64   `json:"start_time,omitempty"`
	Online       string  `json:"online,omitempty"`
	LastSeen     int64   `json:"last_seen,omitempty"`
	LastRestart  int64   `json:"last_restart,omitempty"`
	ClusterName  string  `json:"cluster_name,omitempty"`
	ClusterEmoji string  `json:"cluster_emoji,omitempty"`
	LastPingRTT  float64 `json:"last_ping_rtt,omitempty"`
	AvgPingRTT   float64 `json:"avg_ping_rtt,omitempty"`
	LastPingTime int64   `json:"last_ping_time,omitempty"`
}

// HostStats (§4.4, sensors.go): integral fields are Go unsigned/int types.
type HostStats struct {
	Uptime         uint64
	LoadAvg        float64
	MemAllocMB     uint64
	MemSysMB       uint64
	MemHeapMB      uint64
	MemStackMB     uint64
	NumGoroutines  int
	NumGC          uint32
	ProcCPUPercent float64
}

type NaraPersonality struct {
	Agreeableness int
	Sociability   int
	Chill         int
}

type Aura struct {
	Primary   string `json:"primary"`
	Secondary string `json:"secondary"`
}

// NetworkCoordinate is the Vivaldi point; its four floats are always written (§2.3 example).
type NetworkCoordinate struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Height float64 `json:"height"`
	Error  float64 `json:"error"`
}

// NaraStatus in Go field (= marshal) order (§4.4).
type NaraStatus struct {
	LicensePlate        string
	Flair               string
	HostStats           HostStats
	Chattiness          int64
	Buzz                int
	Observations        map[string]NaraObservation
	Trend               string
	TrendEmoji          string
	Personality         NaraPersonality
	Aura                Aura
	Version             string
	PublicUrl           string
	PublicKey           string
	ID                  string
	MeshEnabled         bool
	MeshIP              string
	Coordinates         *NetworkCoordinate `json:"coordinates,omitempty"`
	TransportMode       string             `json:"transport_mode,omitempty"`
	EventStoreTotal     int                `json:"event_store_total,omitempty"`
	EventStoreByService map[string]int     `json:"event_store_by_service,omitempty"`
	EventStoreCritical  int                `json:"event_store_critical,omitempty"`
	MemoryMode          string             `json:"memory_mode,omitempty"`
	MemoryBudgetMB      int                `json:"memory_budget_mb,omitempty"`
	MemoryMaxEvents     int                `json:"memory_max_events,omitempty"`
	StashStored         int                `json:"stash_stored,omitempty"`
	StashBytes          int64              `json:"stash_bytes,omitempty"`
	StashConfidants     int                `json:"stash_confidants,omitempty"`
}

// NewspaperEvent as marshalled (§2.3); StatusJSON is not serialized.
type NewspaperEvent struct {
	From       string
	Status     NaraStatus
	Signature  string
	StatusJSON []byte `json:"-"`
}

// newspaperWire is how a receiver reads it: the Status value's raw bytes are what was signed (§3.4).
type newspaperWire struct {
	From      string
	Status    json.RawMessage
	Signature string
}

type NeighborInfo struct {
	Name        string
	PublicKey   string
	MeshIP      string
	ID          string
	Observation NaraObservation
}

// HowdyEvent, no json tags (§2.3).
type HowdyEvent struct {
	From      string
	To        string
	Seq       int
	You       NaraObservation
	Neighbors []NeighborInfo
	Me        NaraStatus
	Signature string
}

type LedgerRequest struct {
	From     string
	Subjects []string
}

// SocialEvent is the legacy event a ledger response carries (§2.3); Timestamp in ns.
type SocialEvent struct {
	ID        string
	Timestamp int64
	Type      string
	Actor     string
	Target    string
	Reason    string
	Witness   string
	Signature string
}

type LedgerResponse struct {
	From   string
	Events []SocialEvent
}

// ---- Go version shim -----------------------------------------------------------------------

// Go 1.22 started writing \b and \f as short escapes; older encoders write \u0008 and \u000c.
// The reference is built with Go 1.25, so with an older toolchain (Debian's 1.19) the output of
// json.Marshal is rewritten to the modern form. It is the only encoder difference between those
// versions these messages can hit; everything else is Go's output untouched.
var legacyEscapes = func() bool {
	v := strings.TrimPrefix(runtime.Version(), "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false // devel builds: assume modern
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return major == 1 && minor < 22
}()

func modernEscapes(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) {
			switch string(b[i+2 : i+6]) {
			case "0008":
				out = append(out, '\\', 'b')
				i += 5
				continue
			case "000c":
				out = append(out, '\\', 'f')
				i += 5
				continue
			}
		}
		out = append(out, b[i], b[i+1]) // any other escape, copied whole
		i++
	}
	return out
}

func marshal(v interface{}) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || !legacyEscapes {
		return b, err
	}
	return modernEscapes(b), nil
}

// ---- strict decoding -----------------------------------------------------------------------

// strictUnmarshal is json.Unmarshal with unknown keys rejected and nothing allowed after the value.
func strictUnmarshal(data []byte, v interface{}) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// checkKeyCase catches what DisallowUnknownFields cannot: Go matches keys case-insensitively,
// so "from" would silently fill From. Every key of the input must appear with exactly the same
// spelling in Go's re-marshalled output when any case-variant of it does.
func checkKeyCase(input, typed []byte) error {
	var a, b interface{}
	if err := json.Unmarshal(input, &a); err != nil {
		return err
	}
	if err := json.Unmarshal(typed, &b); err != nil {
		return err
	}
	return walkKeys(a, b, "$")
}

func walkKeys(a, b interface{}, path string) error {
	switch av := a.(type) {
	case map[string]interface{}:
		bv, ok := b.(map[string]interface{})
		if !ok {
			return nil
		}
		for k, sub := range av {
			if other, ok := bv[k]; ok {
				if err := walkKeys(sub, other, path+"."+k); err != nil {
					return err
				}
				continue
			}
			for bk := range bv {
				if strings.EqualFold(bk, k) {
					return fmt.Errorf("key %s.%s should be spelled %q", path, k, bk)
				}
			}
		}
	case []interface{}:
		bv, ok := b.([]interface{})
		if !ok {
			return nil
		}
		for i := range av {
			if i < len(bv) {
				if err := walkKeys(av[i], bv[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ---- signatures and ids (§3.1, §3.2, §3.4, §3.5) ------------------------------------------

func verifyB64(pubB64 string, msg []byte, sigB64 string) bool {
	pub, err := base64.StdEncoding.DecodeString(pubB64)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(pub), msg, sig)
}

func contentString(e *SyncEvent) (string, string, error) {
	switch {
	case e.HeyThere != nil:
		p := e.HeyThere
		return "hey_there:" + p.From + ":" + p.PublicKey + ":" + p.MeshIP, p.PublicKey, nil
	case e.Chau != nil:
		p := e.Chau
		return "chau:" + p.From + ":" + p.PublicKey, p.PublicKey, nil
	}
	return "", "", errors.New("no hey_there/chau payload")
}

func computeID(ts int64, svc, content string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d:%s:", ts, svc) + content))
	return hex.EncodeToString(sum[:16])
}

func signedDigest(id string, ts int64, svc, emitter, content string) []byte {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%d:%s:%s:", id, ts, svc, emitter) + content))
	return sum[:]
}

func howdyMessage(from, to string, seq int) []byte {
	return []byte(fmt.Sprintf("howdy:%s:%s:%d", from, to, seq))
}

// ---- decode mode ---------------------------------------------------------------------------

type decodeIn struct {
	Kind      string `json:"kind"`
	Raw       []byte `json:"raw"`        // base64 in JSON
	PublicKey string `json:"public_key"` // social: the emitter's known key (socialHandler)
}

type decodeOut struct {
	OK             bool   `json:"ok"`
	Error          string `json:"error"`
	Verified       bool   `json:"verified"`
	IDMatches      bool   `json:"id_matches"`
	RoundtripEqual bool   `json:"roundtrip_equal"`
	Remarshal      []byte `json:"remarshal"` // Go's bytes for the whole message
	// Newspapers only: the Status value on its own (what was signed).
	StatusRoundtripEqual bool   `json:"status_roundtrip_equal"`
	StatusRemarshal      []byte `json:"status_remarshal,omitempty"`
	GoVersion            string `json:"go_version"`
}

func decodeOne(in decodeIn) (out decodeOut) {
	out.GoVersion = runtime.Version()
	fail := func(err error) decodeOut {
		out.OK = false
		out.Error = err.Error()
		return out
	}
	var typed interface{}
	switch in.Kind {
	case "hey_there", "chau":
		var e SyncEvent
		if err := strictUnmarshal(in.Raw, &e); err != nil {
			return fail(err)
		}
		typed = &e
		wantSvc := map[string]string{"hey_there": "hey-there", "chau": "chau"}[in.Kind]
		if e.Service != wantSvc {
			return fail(fmt.Errorf("svc %q, want %q", e.Service, wantSvc))
		}
		other := len(e.Social) + len(e.Ping) + len(e.Observation) + len(e.Seen) + len(e.Checkpoint)
		if (in.Kind == "hey_there") != (e.HeyThere != nil) || (in.Kind == "chau") != (e.Chau != nil) || other != 0 {
			return fail(errors.New("payload does not match svc"))
		}
		content, pub, err := contentString(&e)
		if err != nil {
			return fail(err)
		}
		out.IDMatches = e.ID == computeID(e.Timestamp, e.Service, content)
		out.Verified = e.Emitter != "" && e.Signature != "" &&
			verifyB64(pub, signedDigest(e.ID, e.Timestamp, e.Service, e.Emitter, content), e.Signature)
	case "newspaper":
		var w newspaperWire
		if err := strictUnmarshal(in.Raw, &w); err != nil {
			return fail(err)
		}
		var status NaraStatus
		if err := strictUnmarshal(w.Status, &status); err != nil {
			return fail(fmt.Errorf("Status: %w", err))
		}
		out.Verified = w.Signature != "" && verifyB64(status.PublicKey, w.Status, w.Signature)
		out.IDMatches = true
		sb, err := marshal(status)
		if err != nil {
			return fail(err)
		}
		out.StatusRemarshal = sb
		out.StatusRoundtripEqual = bytes.Equal(sb, w.Status)
		typed = &NewspaperEvent{From: w.From, Status: status, Signature: w.Signature}
	case "howdy":
		var h HowdyEvent
		if err := strictUnmarshal(in.Raw, &h); err != nil {
			return fail(err)
		}
		typed = &h
		out.IDMatches = true
		out.Verified = h.Signature != "" && verifyB64(h.Me.PublicKey, howdyMessage(h.From, h.To, h.Seq), h.Signature)
	case "social":
		var e SocialSyncEvent
		if err := strictUnmarshal(in.Raw, &e); err != nil {
			return fail(err)
		}
		typed = &e
		if e.Service != "social" || e.Social == nil {
			return fail(errors.New("not a social SyncEvent"))
		}
		content := socialContent(e.Social)
		out.IDMatches = e.ID == computeID(e.Timestamp, e.Service, content)
		out.Verified = e.Emitter != "" && e.Signature != "" &&
			verifyB64(in.PublicKey, signedDigest(e.ID, e.Timestamp, e.Service, e.Emitter, content), e.Signature)
	case "ledger_request":
		var r LedgerRequest
		if err := strictUnmarshal(in.Raw, &r); err != nil {
			return fail(err)
		}
		typed = &r
		out.IDMatches = true
	case "ledger_response":
		var r LedgerResponse
		if err := strictUnmarshal(in.Raw, &r); err != nil {
			return fail(err)
		}
		typed = &r
		// Receivers recompute ids as social SyncEvents (§2.3); a sender should already match.
		out.IDMatches = true
		for _, ev := range r.Events {
			content := ev.Type + ":" + ev.Actor + ":" + ev.Target + ":" + ev.Reason + ":" + ev.Witness
			if ev.ID != computeID(ev.Timestamp, "social", content) {
				out.IDMatches = false
			}
		}
	case "status":
		var s NaraStatus
		if err := strictUnmarshal(in.Raw, &s); err != nil {
			return fail(err)
		}
		typed = &s
		out.IDMatches = true
	default:
		return fail(fmt.Errorf("unknown kind %q", in.Kind))
	}
	b, err := marshal(typed)
	if err != nil {
		return fail(err)
	}
	out.Remarshal = b
	out.RoundtripEqual = bytes.Equal(b, in.Raw)
	if err := checkKeyCase(in.Raw, b); err != nil {
		return fail(err)
	}
	out.OK = true
	return out
}

// ---- encode mode ---------------------------------------------------------------------------

type encodeIn struct {
	Kind    string `json:"kind"`
	SeedHex string `json:"seed_hex"`
	Name    string `json:"name"`
	ID      string `json:"id"`
	TS      int64  `json:"ts"`
	MeshIP  string `json:"mesh_ip"`
	Value   string `json:"value"` // float/string kinds
}

type encodeOut struct {
	Kind  string `json:"kind"`
	Raw   []byte `json:"raw,omitempty"`
	JSON  string `json:"json,omitempty"`
	Error string `json:"error,omitempty"`
}

// Variables, not constants: Go folds constant 0.1+0.2 to exactly 0.3.
var tenth, fifth = 0.1, 0.2

// awkwardStatus is a NaraStatus full of values a naive encoder gets wrong: HTML characters,
// U+2028, emoji, tiny/huge floats, max-width integers, a nil map and a sorted non-empty one.
func awkwardStatus(pub, id string) NaraStatus {
	return NaraStatus{
		LicensePlate: "🌊",
		Flair:        "💎🌸<b>&\u2028🧁⛵️",
		HostStats: HostStats{
			Uptime: 18446744073709551615, LoadAvg: 0.25, MemAllocMB: 12, MemSysMB: 30,
			MemHeapMB: 20, MemStackMB: 1, NumGoroutines: 40, NumGC: 4294967295,
			ProcCPUPercent: tenth + fifth, // 0.30000000000000004 at run time
		},
		Chattiness:          100,
		Buzz:                61,
		Observations:        nil,
		Trend:               "gopher-style",
		TrendEmoji:          "🕺",
		Personality:         NaraPersonality{Agreeableness: 36, Sociability: 86, Chill: 82},
		Aura:                Aura{Primary: "#1E7257", Secondary: "#8877E8"},
		Version:             "0.2.0",
		PublicUrl:           "https://gopher.example/?a=1&b=<2>\t",
		PublicKey:           pub,
		ID:                  id,
		MeshEnabled:         false,
		MeshIP:              "",
		Coordinates:         &NetworkCoordinate{X: 1e-7, Y: -0.0004, Height: 0.00001, Error: 1e21},
		TransportMode:       "mqtt",
		EventStoreTotal:     3,
		EventStoreByService: map[string]int{"observation": 1, "hey-there": 2},
		MemoryMode:          "medium",
		MemoryBudgetMB:      256,
		MemoryMaxEvents:     40000,
	}
}

func keyFromSeed(seedHex string) (ed25519.PrivateKey, string, error) {
	seed, err := hex.DecodeString(seedHex)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, "", errors.New("seed_hex must be 32 bytes of hex")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	return priv, pub, nil
}

func sign(priv ed25519.PrivateKey, msg []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg))
}

func encodeOne(in encodeIn) encodeOut {
	out := encodeOut{Kind: in.Kind}
	fail := func(err error) encodeOut { out.Error = err.Error(); return out }
	var msg interface{}
	switch in.Kind {
	case "float":
		f, err := strconv.ParseFloat(in.Value, 64)
		if err != nil {
			return fail(err)
		}
		b, err := marshal(f)
		if err != nil {
			return fail(err)
		}
		out.JSON = string(b)
		return out
	case "string":
		b, err := marshal(in.Value)
		if err != nil {
			return fail(err)
		}
		out.JSON = string(b)
		return out
	case "ledger_request":
		msg = LedgerRequest{From: in.Name, Subjects: []string{"bob", "zoë<&>", in.Name}}
	case "social":
		priv, _, err := keyFromSeed(in.SeedHex)
		if err != nil {
			return fail(err)
		}
		p := &SocialEventPayload{Type: "tease", Actor: in.Name, ActorID: in.ID, Target: "zoë<&>", Reason: "comeback"}
		e := SocialSyncEvent{Timestamp: in.TS, Service: "social", Emitter: in.Name, EmitterID: in.ID, Social: p}
		content := socialContent(p)
		e.ID = computeID(e.Timestamp, e.Service, content)
		e.Signature = sign(priv, signedDigest(e.ID, e.Timestamp, e.Service, e.Emitter, content))
		msg = e
	case "newspaper", "hey_there", "chau", "howdy":
		priv, pub, err := keyFromSeed(in.SeedHex)
		if err != nil {
			return fail(err)
		}
		switch in.Kind {
		case "newspaper":
			// Go signs json.Marshal(status) and marshals the event around the same struct (§3.4).
			status := awkwardStatus(pub, in.ID)
			sb, err := marshal(status)
			if err != nil {
				return fail(err)
			}
			ev := NewspaperEvent{From: in.Name, Status: status, Signature: sign(priv, sb), StatusJSON: sb}
			raw, err := marshal(ev)
			if err != nil {
				return fail(err)
			}
			if !bytes.Contains(raw, sb) {
				return fail(errors.New("envelope does not embed the signed Status bytes"))
			}
			out.Raw = raw
			return out
		case "hey_there":
			p := &HeyThereEvent{From: in.Name, PublicKey: pub, MeshIP: in.MeshIP, ID: in.ID}
			e := SyncEvent{Timestamp: in.TS, Service: "hey-there", Emitter: in.Name, HeyThere: p}
			content, _, _ := contentString(&e)
			e.ID = computeID(e.Timestamp, e.Service, content)
			e.Signature = sign(priv, signedDigest(e.ID, e.Timestamp, e.Service, e.Emitter, content))
			msg = e
		case "chau":
			p := &ChauEvent{From: in.Name, PublicKey: pub, ID: in.ID}
			e := SyncEvent{Timestamp: in.TS, Service: "chau", Emitter: in.Name, Chau: p}
			content, _, _ := contentString(&e)
			e.ID = computeID(e.Timestamp, e.Service, content)
			e.Signature = sign(priv, signedDigest(e.ID, e.Timestamp, e.Service, e.Emitter, content))
			msg = e
		case "howdy":
			me := awkwardStatus(pub, in.ID)
			me.Observations = map[string]NaraObservation{
				in.Name: {Restarts: 3, StartTime: 1690000000, Online: "ONLINE", LastSeen: 1700000000, LastRestart: 1699990000},
				"zoë":   {Online: "MISSING", LastSeen: 1699999000, LastPingRTT: 12.5, AvgPingRTT: tenth + fifth, ClusterEmoji: "🌵"},
				"Bob":   {StartTime: 1680000000, Online: "ONLINE", LastSeen: 1700000000, TotalUptime: 86400},
				"alice": {},
			}
			h := HowdyEvent{
				From: in.Name, To: "alice", Seq: 2,
				You: NaraObservation{Restarts: 1, StartTime: 1690000000, Online: "ONLINE", LastSeen: 1700000000},
				Neighbors: []NeighborInfo{
					{Name: "Bob", PublicKey: pub, MeshIP: "100.64.0.7", ID: "3Mdfo2", Observation: me.Observations["Bob"]},
					{Name: "zoë", Observation: me.Observations["zoë"]},
				},
				Me: me,
			}
			h.Signature = sign(priv, howdyMessage(h.From, h.To, h.Seq))
			msg = h
		}
	default:
		return fail(fmt.Errorf("unknown kind %q", in.Kind))
	}
	raw, err := marshal(msg)
	if err != nil {
		return fail(err)
	}
	out.Raw = raw
	return out
}

// ---- checkpoint mode (spec §2.3 "checkpoint propose / vote / final", §3.3, §3.6) ----------

// Trinity is the part of NaraObservation a checkpoint carries (all omitempty, §4.3).
type Trinity struct {
	Restarts    int64 `json:"restarts,omitempty"`
	TotalUptime int64 `json:"total_uptime,omitempty"`
	StartTime   int64 `json:"start_time,omitempty"`
}

// Attestation: field order and tags as §2.3 shows them; last_seen_checkpoint_id omitempty.
type Attestation struct {
	Version              int     `json:"version"`
	Subject              string  `json:"subject"`
	SubjectID            string  `json:"subject_id"`
	Observation          Trinity `json:"observation"`
	Attester             string  `json:"attester"`
	AttesterID           string  `json:"attester_id"`
	LastSeenCheckpointID string  `json:"last_seen_checkpoint_id,omitempty"`
	AsOfTime             int64   `json:"as_of_time"`
	Signature            string  `json:"signature"`
}

// Proposal embeds the attestation (flattened by encoding/json) plus the round.
type Proposal struct {
	Attestation
	Round int `json:"round"`
}

// Vote embeds the attestation plus its context.
type Vote struct {
	Attestation
	ProposalTS int64 `json:"proposal_ts"`
	Round      int   `json:"round"`
	Approved   bool  `json:"approved"`
}

// CheckpointPayload is the final's payload (§3.3 row "checkpoint").
type CheckpointPayload struct {
	Version              int      `json:"version"`
	Subject              string   `json:"subject"`
	SubjectID            string   `json:"subject_id"`
	PreviousCheckpointID string   `json:"previous_checkpoint_id,omitempty"`
	Observation          Trinity  `json:"observation"`
	AsOfTime             int64    `json:"as_of_time"`
	Round                int      `json:"round"`
	VoterIDs             []string `json:"voter_ids,omitempty"`
	Signatures           []string `json:"signatures,omitempty"`
}

// FinalEvent is the SyncEvent envelope of svc "checkpoint", unsigned.
type FinalEvent struct {
	ID         string             `json:"id"`
	Timestamp  int64              `json:"ts"`
	Service    string             `json:"svc"`
	Checkpoint *CheckpointPayload `json:"checkpoint"`
}

func attestationString(version int, attesterID, subjectID string, asOf int64, t Trinity, lastSeen string) string {
	if version == 0 {
		version = 1
	}
	s := fmt.Sprintf("attestation:v%d:%s:%s:%d:%d:%d:%d", version, attesterID, subjectID, asOf, t.Restarts, t.TotalUptime, t.StartTime)
	if version == 1 {
		return s
	}
	return s + ":" + lastSeen
}

func checkpointContent(p *CheckpointPayload) string {
	id := p.SubjectID
	if id == "" {
		id = p.Subject
	}
	o := p.Observation
	if p.Version == 0 || p.Version == 1 {
		return fmt.Sprintf("checkpoint:%s:%d:%d:%d:%d", id, p.AsOfTime, o.StartTime, o.Restarts, o.TotalUptime)
	}
	return fmt.Sprintf("checkpoint:v2:%s:%d:%d:%d:%d:%s", id, p.AsOfTime, o.StartTime, o.Restarts, o.TotalUptime, p.PreviousCheckpointID)
}

type checkpointIn struct {
	Op        string            `json:"op"` // "make" or "verify"
	Seeds     []string          `json:"seeds_hex"`
	IDs       []string          `json:"ids"`
	Names     []string          `json:"names"`
	Subject   string            `json:"subject"`
	SubjectID string            `json:"subject_id"`
	Values    Trinity           `json:"values"`
	AsOf      int64             `json:"as_of"`
	TS        int64             `json:"ts"`
	Previous  string            `json:"previous"`
	Proposal  []byte            `json:"proposal"`
	Votes     [][]byte          `json:"votes"`
	Final     []byte            `json:"final"`
	Keys      map[string]string `json:"keys"` // nara ID -> b64 public key
}

type checkpointOut struct {
	Error        string   `json:"error,omitempty"`
	Proposal     []byte   `json:"proposal,omitempty"`
	Votes        [][]byte `json:"votes,omitempty"`
	Final        []byte   `json:"final,omitempty"`
	ProposalOK   bool     `json:"proposal_ok"`
	VotesOK      []bool   `json:"votes_ok"`
	FinalIDOK    bool     `json:"final_id_ok"`
	FinalValid   int      `json:"final_valid"`
	RoundtripsOK bool     `json:"roundtrips_ok"`
}

func checkpointOne(in checkpointIn) (out checkpointOut) {
	fail := func(err error) checkpointOut { out.Error = err.Error(); return out }
	if in.Op == "make" {
		// seeds[0] is the proposer (the subject); the others vote and approve.
		if len(in.Seeds) != len(in.IDs) || len(in.Seeds) != len(in.Names) || len(in.Seeds) < 2 {
			return fail(errors.New("seeds, ids and names must match"))
		}
		priv, _, err := keyFromSeed(in.Seeds[0])
		if err != nil {
			return fail(err)
		}
		att := Attestation{Version: 2, Subject: in.Subject, SubjectID: in.SubjectID, Observation: in.Values,
			Attester: in.Subject, AttesterID: in.SubjectID, LastSeenCheckpointID: in.Previous, AsOfTime: in.AsOf}
		att.Signature = sign(priv, []byte(attestationString(2, att.AttesterID, att.SubjectID, att.AsOfTime, att.Observation, att.LastSeenCheckpointID)))
		if out.Proposal, err = marshal(Proposal{Attestation: att, Round: 1}); err != nil {
			return fail(err)
		}
		final := &CheckpointPayload{Version: 2, Subject: in.Subject, SubjectID: in.SubjectID, PreviousCheckpointID: in.Previous,
			Observation: in.Values, AsOfTime: in.AsOf, Round: 1,
			VoterIDs: []string{in.SubjectID}, Signatures: []string{att.Signature}}
		for i := 1; i < len(in.Seeds); i++ {
			vpriv, _, err := keyFromSeed(in.Seeds[i])
			if err != nil {
				return fail(err)
			}
			v := Attestation{Version: 2, Subject: in.Subject, SubjectID: in.SubjectID, Observation: in.Values,
				Attester: in.Names[i], AttesterID: in.IDs[i], LastSeenCheckpointID: in.Previous, AsOfTime: in.AsOf}
			v.Signature = sign(vpriv, []byte(attestationString(2, v.AttesterID, v.SubjectID, v.AsOfTime, v.Observation, v.LastSeenCheckpointID)))
			raw, err := marshal(Vote{Attestation: v, ProposalTS: in.AsOf, Round: 1, Approved: true})
			if err != nil {
				return fail(err)
			}
			out.Votes = append(out.Votes, raw)
			final.VoterIDs = append(final.VoterIDs, v.AttesterID)
			final.Signatures = append(final.Signatures, v.Signature)
		}
		ev := FinalEvent{Timestamp: in.TS, Service: "checkpoint", Checkpoint: final}
		ev.ID = computeID(ev.Timestamp, ev.Service, checkpointContent(final))
		if out.Final, err = marshal(ev); err != nil {
			return fail(err)
		}
		return out
	}
	if in.Op != "verify" {
		return fail(fmt.Errorf("unknown op %q", in.Op))
	}
	out.RoundtripsOK = true
	same := func(raw []byte, v interface{}) {
		b, err := marshal(v)
		if err != nil || !bytes.Equal(b, raw) {
			out.RoundtripsOK = false
		}
	}
	if len(in.Proposal) > 0 {
		var p Proposal
		if err := json.Unmarshal(in.Proposal, &p); err != nil {
			return fail(err)
		}
		msg := attestationString(p.Version, p.AttesterID, p.SubjectID, p.AsOfTime, p.Observation, p.LastSeenCheckpointID)
		out.ProposalOK = verifyB64(in.Keys[p.SubjectID], []byte(msg), p.Signature)
		same(in.Proposal, p)
	}
	for _, raw := range in.Votes {
		var v Vote
		if err := json.Unmarshal(raw, &v); err != nil {
			return fail(err)
		}
		msg := attestationString(v.Version, v.AttesterID, v.SubjectID, v.AsOfTime, v.Observation, v.LastSeenCheckpointID)
		out.VotesOK = append(out.VotesOK, verifyB64(in.Keys[v.AttesterID], []byte(msg), v.Signature))
		same(raw, v)
	}
	if len(in.Final) > 0 {
		var ev FinalEvent
		if err := json.Unmarshal(in.Final, &ev); err != nil {
			return fail(err)
		}
		if ev.Checkpoint == nil || ev.Service != "checkpoint" {
			return fail(errors.New("not a checkpoint event"))
		}
		cp := ev.Checkpoint
		out.FinalIDOK = ev.ID == computeID(ev.Timestamp, ev.Service, checkpointContent(cp))
		for i, id := range cp.VoterIDs {
			if i >= len(cp.Signatures) {
				break
			}
			prev := ""
			if cp.Version >= 2 {
				prev = cp.PreviousCheckpointID
			}
			msg := attestationString(cp.Version, id, cp.SubjectID, cp.AsOfTime, cp.Observation, prev)
			if verifyB64(in.Keys[id], []byte(msg), cp.Signatures[i]) {
				out.FinalValid++
			}
		}
		same(in.Final, ev)
	}
	return out
}

// ---- world journeys: hops signed as world.go:48-104 does, completions as network.go:140-146 ----

type WorldHop struct {
	Nara      string `json:"nara"`
	Timestamp int64  `json:"timestamp"`
	Signature string `json:"signature"`
	Stamp     string `json:"stamp"`
}

type JourneyCompletion struct {
	JourneyID  string     `json:"journey_id"`
	Originator string     `json:"originator"`
	ReportedBy string     `json:"reported_by"`
	Message    string     `json:"message,omitempty"`
	Hops       []WorldHop `json:"hops,omitempty"`
}

// hopData is world.go's dataToSignForHop: the SHA-256 of encoding/json's Marshal of the struct.
func hopData(id, message, originator string, previous []WorldHop, current string) []byte {
	data := struct {
		ID              string     `json:"id"`
		OriginalMessage string     `json:"message"`
		Originator      string     `json:"originator"`
		PreviousHops    []WorldHop `json:"previous_hops"`
		CurrentNara     string     `json:"current_nara"`
	}{id, message, originator, previous, current}
	b, _ := json.Marshal(data)
	h := sha256.Sum256(b)
	return h[:]
}

type journeyIn struct {
	Op         string            `json:"op"` // "make" or "verify"
	Seeds      []string          `json:"seeds"`
	Names      []string          `json:"names"` // the route, last = originator
	ID         string            `json:"id"`
	Message    string            `json:"message"`
	TS         int64             `json:"ts"`
	Completion []byte            `json:"completion"`
	Keys       map[string]string `json:"keys"` // name -> b64 public key
}

type journeyOut struct {
	Error      string `json:"error,omitempty"`
	Completion []byte `json:"completion,omitempty"`
	HopsOK     []bool `json:"hops_ok"`
}

func journeyOne(in journeyIn) (out journeyOut) {
	fail := func(err error) journeyOut { out.Error = err.Error(); return out }
	if in.Op == "make" {
		if len(in.Seeds) != len(in.Names) || len(in.Names) == 0 {
			return fail(errors.New("seeds and names must match"))
		}
		originator := in.Names[len(in.Names)-1]
		hops := []WorldHop{}
		for i, name := range in.Names {
			priv, _, err := keyFromSeed(in.Seeds[i])
			if err != nil {
				return fail(err)
			}
			sig := ed25519.Sign(priv, hopData(in.ID, in.Message, originator, hops, name))
			hops = append(hops, WorldHop{Nara: name, Timestamp: in.TS + int64(i),
				Signature: base64.StdEncoding.EncodeToString(sig), Stamp: "🌸"})
		}
		b, err := json.Marshal(JourneyCompletion{JourneyID: in.ID, Originator: originator,
			ReportedBy: originator, Message: in.Message, Hops: hops})
		if err != nil {
			return fail(err)
		}
		out.Completion = b
		return out
	}
	if in.Op != "verify" {
		return fail(fmt.Errorf("unknown op %q", in.Op))
	}
	var c JourneyCompletion
	if err := json.Unmarshal(in.Completion, &c); err != nil {
		return fail(err)
	}
	out.HopsOK = []bool{}
	for i, hop := range c.Hops {
		key, err := base64.StdEncoding.DecodeString(in.Keys[hop.Nara])
		sig, err2 := base64.StdEncoding.DecodeString(hop.Signature)
		ok := err == nil && err2 == nil && len(key) == ed25519.PublicKeySize &&
			ed25519.Verify(ed25519.PublicKey(key), hopData(c.JourneyID, c.Message, c.Originator, c.Hops[:i], hop.Nara), sig)
		out.HopsOK = append(out.HopsOK, ok)
	}
	return out
}

// ---- main ----------------------------------------------------------------------------------

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: naragowire decode|encode|version")
		os.Exit(2)
	}
	mode := os.Args[1]
	if mode == "version" {
		fmt.Println(runtime.Version())
		return
	}
	if mode != "decode" && mode != "encode" && mode != "checkpoint" && mode != "journey" {
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for scanner.Scan() {
		line := scanner.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var result interface{}
		if mode == "journey" {
			var in journeyIn
			if err := json.Unmarshal(line, &in); err != nil {
				result = journeyOut{Error: "bad input line: " + err.Error()}
			} else {
				result = journeyOne(in)
			}
		} else if mode == "checkpoint" {
			var in checkpointIn
			if err := json.Unmarshal(line, &in); err != nil {
				result = checkpointOut{Error: "bad input line: " + err.Error()}
			} else {
				result = checkpointOne(in)
			}
		} else if mode == "decode" {
			var in decodeIn
			if err := json.Unmarshal(line, &in); err != nil {
				result = decodeOut{Error: "bad input line: " + err.Error(), GoVersion: runtime.Version()}
			} else {
				result = decodeOne(in)
			}
		} else {
			var in encodeIn
			if err := json.Unmarshal(line, &in); err != nil {
				result = encodeOut{Error: "bad input line: " + err.Error()}
			} else {
				result = encodeOne(in)
			}
		}
		b, err := json.Marshal(result)
		if err != nil {
			b, _ = json.Marshal(map[string]string{"error": err.Error()})
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := scanner.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
