package scan

import "fmt"

// Severity ranks a [Finding]. The zero value is not a valid severity.
type Severity int

// Severities, from least to most serious.
const (
	SeverityInfo Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
)

var severityNames = [...]string{SeverityInfo: "info", SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high"}

// String returns "info", "low", "medium" or "high".
func (s Severity) String() string {
	if s >= SeverityInfo && s <= SeverityHigh {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// ParseSeverity parses the String form of a severity.
func ParseSeverity(name string) (Severity, error) {
	for s := SeverityInfo; s <= SeverityHigh; s++ {
		if severityNames[s] == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, low, medium or high)", name)
}

// MarshalText implements [encoding.TextMarshaler].
func (s Severity) MarshalText() ([]byte, error) {
	if s < SeverityInfo || s > SeverityHigh {
		return nil, fmt.Errorf("marshal severity: invalid value %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
