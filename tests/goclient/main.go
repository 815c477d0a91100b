// Command goclient drives `mesos-conform serve` with a real third-party
// scheduler client: the v1 HTTP client of mesos-go (Debian's
// golang-github-mesos-mesos-go-dev, package httpcli/httpsched). It runs one
// codec per invocation (JSON or protobuf) through a fixed list of named
// phases and prints one line per check:
//
//	ok    <codec> <check>
//	FAIL  <codec> <check>: <why>
//	SKIP  <codec> <check>: <why>
//
// and a last line "<codec>: N passed, N failed, N skipped". It exits 1 when a
// check failed, 2 on a usage error. The phases that need offers and tasks are
// skipped (not failed) when run with -agents 0, for a master with no agents;
// run.sh runs them against `serve --agents 1`. The SPEC ids in the check
// names refer to the project's SPEC.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib/encoding"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
)

// config is what the command line sets.
type config struct {
	master    string         // base URL of the master, e.g. http://127.0.0.1:5050
	codec     encoding.Codec // the codec of every call and of the stream
	heartbeat float64        // the interval serve was started with (--heartbeat)
	agents    int            // how many agents serve hosts; 0 skips offer phases
	deadline  time.Duration  // the whole run must end within this
}

// report counts and prints the checks of one run.
type report struct {
	codec                   string
	passed, failed, skipped int
}

// check prints ok or FAIL for one named check and says whether it passed.
func (r *report) check(name string, err error) bool {
	if err == nil {
		fmt.Printf("ok    %s %s\n", r.codec, name)
		r.passed++
		return true
	}
	fmt.Printf("FAIL  %s %s: %s\n", r.codec, name, oneLine(err.Error()))
	r.failed++
	return false
}

// skip prints SKIP for a check that cannot run against this server yet.
func (r *report) skip(name, why string) {
	fmt.Printf("SKIP  %s %s: %s\n", r.codec, name, why)
	r.skipped++
}

// oneLine keeps a reason on one output line so the driver can count lines.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func parseFlags() (config, error) {
	var cfg config
	codecName := flag.String("codec", "json", "json or protobuf")
	flag.StringVar(&cfg.master, "master", "", "base URL of the master (http://host:port)")
	flag.Float64Var(&cfg.heartbeat, "heartbeat", 1, "heartbeat interval serve runs with, in seconds")
	flag.IntVar(&cfg.agents, "agents", 0, "agents serve hosts (0: offer and task phases are skipped)")
	flag.DurationVar(&cfg.deadline, "deadline", 40*time.Second, "the whole run must end within this")
	flag.Parse()
	switch *codecName {
	case "json":
		cfg.codec = codecs.ByMediaType[codecs.MediaTypeJSON]
	case "protobuf":
		cfg.codec = codecs.ByMediaType[codecs.MediaTypeProtobuf]
	default:
		return cfg, fmt.Errorf("-codec: expected json or protobuf, got %q", *codecName)
	}
	if cfg.master == "" || flag.NArg() != 0 {
		return cfg, fmt.Errorf("usage: goclient -master http://HOST:PORT [-codec json|protobuf] [-heartbeat S] [-agents N]")
	}
	if cfg.heartbeat <= 0 || cfg.agents < 0 || cfg.deadline <= 0 {
		return cfg, fmt.Errorf("-heartbeat and -deadline must be positive, -agents not negative")
	}
	return cfg, nil
}

func main() {
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "goclient:", err)
		os.Exit(2)
	}
	rep := &report{codec: cfg.codec.Name}
	// A hung server must not hang the test: past the deadline the run is a
	// failure, whatever phase it is in.
	watchdog := time.AfterFunc(cfg.deadline, func() {
		fmt.Printf("FAIL  %s deadline: the run did not end within %s\n", rep.codec, cfg.deadline)
		fmt.Printf("%s: %d passed, %d failed, %d skipped\n", rep.codec, rep.passed, rep.failed+1, rep.skipped)
		os.Exit(1)
	})
	runPhases(cfg, rep)
	watchdog.Stop()
	fmt.Printf("%s: %d passed, %d failed, %d skipped\n", rep.codec, rep.passed, rep.failed, rep.skipped)
	if rep.failed > 0 {
		os.Exit(1)
	}
}
