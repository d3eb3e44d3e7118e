package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// snapshot is the data table (accounts, items, shares, refs, audit log)
// rendered record by record in a canonical text form, sorted by key, so that
// two snapshots are equal exactly when every attribute of every record is.
// The sessions table is left out: it is bookkeeping, not user data.
type snapshot []string

// scanTable reads every record of table, following LastEvaluatedKey.
func scanTable(ctx context.Context, c *dynamodb.Client, table string) (snapshot, error) {
	var snap snapshot
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", table, err)
		}
		for _, item := range out.Items {
			snap = append(snap, canonical(&types.AttributeValueMemberM{Value: item}))
		}
	}
	slices.Sort(snap)
	return snap, nil
}

// canonical writes v with map keys sorted and set members sorted; binary
// values in base64.
func canonical(v types.AttributeValue) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v types.AttributeValue) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		b.WriteString("S:" + strconv.Quote(v.Value))
	case *types.AttributeValueMemberN:
		b.WriteString("N:" + v.Value)
	case *types.AttributeValueMemberB:
		b.WriteString("B:" + base64.StdEncoding.EncodeToString(v.Value))
	case *types.AttributeValueMemberBOOL:
		b.WriteString("BOOL:" + strconv.FormatBool(v.Value))
	case *types.AttributeValueMemberNULL:
		b.WriteString("NULL")
	case *types.AttributeValueMemberSS:
		b.WriteString("SS:" + strconv.Quote(strings.Join(slices.Sorted(slices.Values(v.Value)), "\x00")))
	case *types.AttributeValueMemberNS:
		b.WriteString("NS:" + strings.Join(slices.Sorted(slices.Values(v.Value)), ","))
	case *types.AttributeValueMemberBS:
		var s []string
		for _, x := range v.Value {
			s = append(s, base64.StdEncoding.EncodeToString(x))
		}
		b.WriteString("BS:" + strings.Join(slices.Sorted(slices.Values(s)), ","))
	case *types.AttributeValueMemberL:
		b.WriteString("L[")
		for i, x := range v.Value {
			if i > 0 {
				b.WriteString(",")
			}
			writeCanonical(b, x)
		}
		b.WriteString("]")
	case *types.AttributeValueMemberM:
		b.WriteString("M{")
		// pk and sk first, so that sorted snapshots are in key order.
		keys := slices.SortedFunc(func(yield func(string) bool) {
			for k := range v.Value {
				if !yield(k) {
					return
				}
			}
		}, func(x, y string) int {
			rank := func(s string) int {
				switch s {
				case "pk":
					return 0
				case "sk":
					return 1
				}
				return 2
			}
			if r := rank(x) - rank(y); r != 0 {
				return r
			}
			return strings.Compare(x, y)
		})
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.Quote(k) + "=")
			writeCanonical(b, v.Value[k])
		}
		b.WriteString("}")
	default:
		fmt.Fprintf(b, "?%T", v)
	}
}

// diff lists the records only in a ("-") and only in b ("+").
func (a snapshot) diff(b snapshot) string {
	var out []string
	for _, r := range a {
		if _, found := slices.BinarySearch(b, r); !found {
			out = append(out, "- "+r)
		}
	}
	for _, r := range b {
		if _, found := slices.BinarySearch(a, r); !found {
			out = append(out, "+ "+r)
		}
	}
	return strings.Join(out, "\n")
}
