package shillbot

import (
	"errors"
	"net/url"
	"slices"
	"testing"
)

func TestQueryListAcceptsRepeatedBracketedIndexedAndCommaForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", nil},
		{"ids=a", []string{"a"}},
		{"ids=a&ids=b", []string{"a", "b"}},
		{"ids[]=a&ids[]=b", []string{"a", "b"}},
		{"ids[0]=a&ids[1]=b", []string{"a", "b"}},
		{"ids=a,b,%20c%20", []string{"a", "b", "c"}},
		{"ids=a,,&ids[]=b", []string{"a", "b"}},
		{"idsx=a&ids2=b", nil},
	} {
		q, _ := url.ParseQuery(tc.query)
		if got := queryList(q, "ids"); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.query, got, tc.want)
		}
	}
}

func TestParsePagingDefaultsClampsAndRefusesBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query string
		want  Paging
		bad   bool
	}{
		{"", Paging{10, 0}, false},
		{"limit=5&offset=20", Paging{5, 20}, false},
		{"limit=0", Paging{0, 0}, false},
		{"limit=100000", Paging{MaxLimit, 0}, false},
		{"limit=abc", Paging{}, true},
		{"limit=-1", Paging{}, true},
		{"offset=-3", Paging{}, true},
		{"offset=1.5", Paging{}, true},
	} {
		q, _ := url.ParseQuery(tc.query)
		got, err := parsePaging(q, DefaultLimit)
		if tc.bad {
			if !errors.Is(err, errValidation) {
				t.Errorf("%q: err %v, want the validation error", tc.query, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %+v, %v; want %+v", tc.query, got, err, tc.want)
		}
	}
}

func TestParseDateRangeReadsISODatesAndRefusesAnInvertedRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query    string
		required bool
		bad      bool
	}{
		{"", false, false},
		{"", true, true},
		{"startDate=2024-10-07T00:00:00.000Z", true, true},
		{"startDate=2024-10-07T00:00:00.000Z&endDate=2024-10-08T00:00:00.000Z", true, false},
		{"startDate=2024-10-07&endDate=2024-10-07", true, false},
		{"startDate=2024-10-07T00:00:00%2B02:00&endDate=2024-10-07T00:00:00Z", true, false},
		{"startDate=2024-10-09T00:00:00Z&endDate=2024-10-08T00:00:00Z", false, true},
		{"startDate=yesterday", false, true},
	} {
		q, _ := url.ParseQuery(tc.query)
		r, err := parseDateRange(q, tc.required)
		if tc.bad != (err != nil) {
			t.Errorf("%q (required %v): err %v, want bad=%v", tc.query, tc.required, err, tc.bad)
		}
		if err == nil && q.Get("startDate") != "" && r.Start == nil {
			t.Errorf("%q: start not read", tc.query)
		}
	}
}
