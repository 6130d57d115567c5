package posts

// Planning: a post composed once for many accounts of several platforms,
// with media objects, a format (feed post, story, reel) and per-platform
// details, created or replaced whole (HighLevel's Social Planner is the
// face that speaks this way). The platform rules are checked from the
// request alone: checks that need the media file itself (a PDF's pages or
// size, a video's length) are left to the worker that publishes.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/category"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/tag"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
)

// Format is the kind of post a platform publishes.
type Format string

// The formats.
const (
	FormatPost  Format = "post"
	FormatStory Format = "story"
	FormatReel  Format = "reel"
)

// Media is one media item of a planned post. A planned post keeps its
// media in its details under "media" in this shape (see PlanInput.Extra),
// so that whoever copies the post (a category queue) reads them back with
// MediaOf; a face may keep more beside each item's fields.
type Media struct {
	// URL is the item's https address, or names an item of the
	// workspace's media library: its id, or the address the server
	// serves it at (media.Service.RefOf). The post's details keep it as
	// written, its media list the item's id, which its worker gets as the
	// library's address.
	URL string `json:"url"`
	// Type is the MIME type (image/jpeg, video/mp4, application/pdf). A
	// library item whose type the library knows (an upload's, sniffed
	// from its bytes) takes that type: empty, it is filled; naming
	// another subtype, it is corrected; another kind (an image for a
	// video) is refused.
	Type    string `json:"type,omitempty"`
	Caption string `json:"caption,omitempty"`
	// AltText is truncated to the strictest limit among the post's
	// platforms that show it.
	AltText string `json:"altText,omitempty"`
	// Thumbnail is the cover of the first video; ignored on others.
	Thumbnail string `json:"thumbnail,omitempty"`
}

// MediaOf returns a post's media in order: those its details keep (a
// planned post's, typed), else its addresses without a type (a post of a
// face that keeps no details). A post without media has none.
func MediaOf(p *ent.Post) ([]Media, error) {
	d, err := detailsOf(p)
	if err != nil {
		return nil, err
	}
	if d.Media != nil || len(p.Media) == 0 {
		return d.Media, nil
	}
	out := make([]Media, len(p.Media))
	for i, u := range p.Media {
		out[i] = Media{URL: u}
	}
	return out, nil
}

// FormatOf is the format a post was planned with: a feed post unless its
// details say otherwise.
func FormatOf(p *ent.Post) (Format, error) {
	d, err := detailsOf(p)
	if err != nil || d.Type == "" {
		return FormatPost, err
	}
	return d.Type, nil
}

// plannedDetails is what every planned post's details hold, whoever
// planned it; a face keeps more beside them (PlanInput.Extra).
type plannedDetails struct {
	Type  Format  `json:"type"`
	Media []Media `json:"media,omitempty"`
}

func detailsOf(p *ent.Post) (plannedDetails, error) {
	var d plannedDetails
	if len(p.Details) > 0 && string(p.Details) != "null" {
		if err := json.Unmarshal(p.Details, &d); err != nil {
			return d, fmt.Errorf("details of post %s: %w", p.ObjectID, err)
		}
	}
	return d, nil
}

// IsVideo reports whether the item is a video.
func (m Media) IsVideo() bool { return strings.HasPrefix(strings.ToLower(m.Type), "video/") }

// PlatformDetails are the per-platform settings the rules read.
type PlatformDetails struct {
	// FacebookFormat and InstagramFormat override the post's format on
	// that platform ("" keeps it).
	FacebookFormat, InstagramFormat Format
	// InstagramCollaborators are usernames invited per account (at most
	// three each); not on stories.
	InstagramCollaborators map[string][]string
	YouTubeTitle           string
	YouTubeType            string // video or short
	YouTubePrivacy         string // private, public or unlisted
	LinkedInPDFTitle       string
	// PinterestBoards maps accounts to board ids; required with a
	// Pinterest account.
	PinterestBoards map[string]string
	PinterestTitle  string
	PinterestLink   string
}

// PlanInput is a whole planned post.
type PlanInput struct {
	// ObjectID names the post to replace; "" creates one.
	ObjectID string
	// Status is DRAFT, SCHEDULED or IN_REVIEW; PublishNow schedules the
	// post for now whatever the date.
	Status      post.Status
	PublishNow  bool
	ScheduledAt *time.Time
	// Approval says the post names an approver (IN_REVIEW needs one).
	Approval bool
	// AccountIDs, CategoryID and TagIDs are ObjectIds of the workspace's
	// accounts, category and tags.
	AccountIDs []string
	CategoryID string
	TagIDs     []string
	Body       string
	Media      []Media
	// FirstComment is the follow-up comment: a planned post's is published
	// by a dependent COMMENT_CREATE task once the post is out on a
	// Facebook, Instagram, LinkedIn or YouTube account, and ignored on
	// other platforms.
	FirstComment string
	Format       Format
	Details      PlatformDetails
	// Source says which face or import made the post (API when empty).
	Source post.Source
	// Extra returns what the face keeps of the request beyond these
	// fields, as a JSON object, stored as the post's details; it is given
	// the media as stored (alt texts truncated), which the object keeps
	// under "media" as Media encodes them (MediaOf reads them back). Nil
	// stores none.
	Extra func(media []Media) (json.RawMessage, error)
}

// RuleError is a request a platform cannot publish (a reel with two
// videos); it is an errs.ErrInvalid, and faces that tell bad requests from
// invalid fields show it as the former.
type RuleError struct{ Field, Message string }

func (e *RuleError) Error() string        { return e.Field + ": " + e.Message }
func (e *RuleError) Is(target error) bool { return target == errs.ErrInvalid }

func rule(field, format string, args ...any) error {
	return &RuleError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Platform limits the rules apply, from the platforms' published limits.
const (
	maxHashtagsInstagram = 30
	maxMediaLinkedIn     = 9
	maxCaptionPinterest  = 800
	maxCaptionYouTube    = 5000
	maxTitle100          = 100
	maxPinterestLink     = 2048
	maxCollaborators     = 3
)

// altTextLimits are the platforms that show alt text, with their limits.
var altTextLimits = map[account.Platform]int{
	account.PlatformPinterest: 500, account.PlatformInstagram: 1000, account.PlatformThreads: 1000,
	account.PlatformBluesky: 2000, account.PlatformLinkedin: 4086,
}

// Plan creates or replaces a planned post in one transaction: the
// accounts, category and tags must be the workspace's; unless the post is
// a draft, it needs accounts, a date when scheduled or in review, an
// approver when in review, and must pass every target platform's rules.
func (s *Service) Plan(ctx context.Context, in PlanInput) (*ent.Post, error) {
	if err := s.checkPlanFields(&in); err != nil {
		return nil, err
	}
	var saved *ent.Post
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) (err error) {
		saved, err = s.planIn(ctx, tx, in)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("plan post: %w", err)
	}
	return saved.Unwrap(), nil
}

// PlanTx is Plan inside the caller's transaction (a queue publishing its
// top item writes the post and moves the item in one transaction).
func (s *Service) PlanTx(ctx context.Context, tx *ent.Tx, in PlanInput) (*ent.Post, error) {
	if err := s.checkPlanFields(&in); err != nil {
		return nil, err
	}
	p, err := s.planIn(ctx, tx, in)
	if err != nil {
		return nil, fmt.Errorf("plan post: %w", err)
	}
	return p, nil
}

func (s *Service) planIn(ctx context.Context, tx *ent.Tx, in PlanInput) (*ent.Post, error) {
	refs, err := s.loadRefs(ctx, tx, []PlanInput{in})
	if err != nil {
		return nil, err
	}
	accs, catID, tagIDs, err := refs.check(&in)
	if err != nil {
		return nil, err
	}
	truncateAltText(in.Media, accs)
	return s.writePlan(ctx, tx, in, accs, catID, tagIDs)
}

// planRefs are the accounts, categories, tags and media library items a
// batch of planned posts names, read once for the batch.
type planRefs struct {
	accs  map[string]*ent.Account
	cats  map[string]int
	tags  map[string]int
	media map[int]*ent.Media
	// mediaRef reads a media address as a library item (Service.mediaRef).
	mediaRef func(string) (int, bool)
}

// loadRefs reads what ins name; an id the workspace does not have is
// simply absent.
func (s *Service) loadRefs(ctx context.Context, tx *ent.Tx, ins []PlanInput) (planRefs, error) {
	var accIDs, catIDs, tagIDs []string
	var mediaIDs []int
	seen := map[int]bool{}
	for _, in := range ins {
		accIDs = append(accIDs, in.AccountIDs...)
		if in.CategoryID != "" {
			catIDs = append(catIDs, in.CategoryID)
		}
		tagIDs = append(tagIDs, in.TagIDs...)
		for _, m := range in.Media {
			if id, ok := s.mediaRef(m.URL); ok && !seen[id] {
				seen[id] = true
				mediaIDs = append(mediaIDs, id)
			}
		}
	}
	refs := planRefs{accs: map[string]*ent.Account{}, cats: map[string]int{}, tags: map[string]int{},
		media: map[int]*ent.Media{}, mediaRef: s.mediaRef}
	if len(mediaIDs) > 0 && s.media != nil {
		// Without a library (UseMedia) every id is unknown.
		found, err := s.media.ItemsTx(ctx, tx, mediaIDs)
		if err != nil {
			return refs, err
		}
		refs.media = found
	}
	if len(accIDs) > 0 {
		accs, err := tx.Account.Query().Where(account.ObjectIDIn(dedupe(accIDs)...)).All(ctx)
		if err != nil {
			return refs, fmt.Errorf("look up accounts: %w", err)
		}
		for _, a := range accs {
			refs.accs[a.ObjectID] = a
		}
	}
	if len(catIDs) > 0 {
		cs, err := tx.Category.Query().Where(category.ObjectIDIn(dedupe(catIDs)...)).Select(category.FieldID, category.FieldObjectID).All(ctx)
		if err != nil {
			return refs, fmt.Errorf("look up category: %w", err)
		}
		for _, c := range cs {
			refs.cats[c.ObjectID] = c.ID
		}
	}
	if len(tagIDs) > 0 {
		ts, err := tx.Tag.Query().Where(tag.ObjectIDIn(dedupe(tagIDs)...)).Select(tag.FieldID, tag.FieldObjectID).All(ctx)
		if err != nil {
			return refs, fmt.Errorf("look up tags: %w", err)
		}
		for _, t := range ts {
			refs.tags[t.ObjectID] = t.ID
		}
	}
	return refs, nil
}

// check applies the rules that need the database to in (its fields
// checked by checkPlanFields): its accounts, category, tags and library
// media must be the workspace's, and unless it is a draft it must pass
// every target platform's rules. It fills or corrects its library media's
// types (Media.Type) and returns what in names.
func (r planRefs) check(in *PlanInput) ([]*ent.Account, *int, []int, error) {
	accs := make([]*ent.Account, 0, len(in.AccountIDs))
	for _, id := range in.AccountIDs {
		a, ok := r.accs[id]
		if !ok {
			return nil, nil, nil, errs.Invalid("accountIDs", "must be connected accounts of the workspace")
		}
		accs = append(accs, a)
	}
	var catID *int
	if in.CategoryID != "" {
		id, ok := r.cats[in.CategoryID]
		if !ok {
			return nil, nil, nil, errs.Invalid("categoryId", "must be a category of the workspace")
		}
		catID = &id
	}
	tagIDs := make([]int, 0, len(in.TagIDs))
	for _, oid := range in.TagIDs {
		id, ok := r.tags[oid]
		if !ok {
			return nil, nil, nil, errs.Invalid("tags", "must be tags of the workspace")
		}
		tagIDs = append(tagIDs, id)
	}
	if err := r.checkLibrary(in.Media); err != nil {
		return nil, nil, nil, err
	}
	if in.Status != post.StatusDRAFT {
		if err := checkPlatforms(*in, accs); err != nil {
			return nil, nil, nil, err
		}
	}
	return accs, catID, tagIDs, nil
}

// checkLibrary refuses media naming no item of the workspace's library
// and gives the others the library's type where it knows one: the type
// the platform rules read is then the file's, not a guess from its name.
func (r planRefs) checkLibrary(ms []Media) error {
	for i := range ms {
		m := &ms[i]
		id, ok := r.mediaRef(m.URL)
		if !ok {
			continue
		}
		item := r.media[id]
		if item == nil {
			return errs.Invalid(fmt.Sprintf("media[%d].url", i), "must name an item of the media library")
		}
		known := item.ContentType
		switch {
		case known == "" && !isMIMEType(m.Type):
			// A registered address: the server never fetched it.
			return errs.Invalid(fmt.Sprintf("media[%d].type", i), "must be a MIME type")
		case known == "":
		case m.Type != "" && !strings.EqualFold(mimeKind(m.Type), mimeKind(known)):
			return errs.Invalid(fmt.Sprintf("media[%d].type", i), "must be %s, the media library item's type", known)
		default:
			m.Type = known
		}
	}
	return nil
}

// mimeKind is a MIME type's top-level type ("video" of video/mp4).
func mimeKind(t string) string {
	kind, _, _ := strings.Cut(t, "/")
	return strings.TrimSpace(kind)
}

func isMIMEType(t string) bool { return strings.TrimSpace(t) != "" && strings.Contains(t, "/") }

// CheckAllTx validates each planned post exactly as Plan would, without
// writing anything, and returns one error per input (nil for a post Plan
// would take). An import reports its rows' errors this way.
func (s *Service) CheckAllTx(ctx context.Context, tx *ent.Tx, ins []PlanInput) ([]error, error) {
	refs, err := s.loadRefs(ctx, tx, ins)
	if err != nil {
		return nil, err
	}
	out := make([]error, len(ins))
	for i := range ins {
		in := ins[i]
		in.Media = slices.Clone(in.Media) // checking writes nothing, not even the caller's types
		if out[i] = s.checkPlanFields(&in); out[i] == nil {
			_, _, _, out[i] = refs.check(&in)
		}
	}
	return out, nil
}

// planBatch bounds the posts one INSERT writes (SQLite's statement
// parameters).
const planBatch = 500

// PlanAllTx creates every planned post in the caller's transaction, each
// checked as Plan checks it; the first that fails stops the batch with its
// index in the error. A CSV import's finalization writes its posts this
// way: the references are read once and the posts inserted in batches.
func (s *Service) PlanAllTx(ctx context.Context, tx *ent.Tx, ins []PlanInput) ([]*ent.Post, error) {
	for i := range ins {
		if ins[i].ObjectID != "" {
			return nil, fmt.Errorf("plan post %d: PlanAllTx only creates posts", i)
		}
		if err := s.checkPlanFields(&ins[i]); err != nil {
			return nil, fmt.Errorf("plan post %d: %w", i, err)
		}
	}
	refs, err := s.loadRefs(ctx, tx, ins)
	if err != nil {
		return nil, err
	}
	out := make([]*ent.Post, 0, len(ins))
	for start := 0; start < len(ins); start += planBatch {
		batch := ins[start:min(start+planBatch, len(ins))]
		creates := make([]*ent.PostCreate, len(batch))
		for j := range batch {
			in := &batch[j]
			accs, catID, tagIDs, err := refs.check(in)
			if err != nil {
				return nil, fmt.Errorf("plan post %d: %w", start+j, err)
			}
			truncateAltText(in.Media, accs)
			if creates[j], err = s.createPlan(tx, *in, accs, catID, tagIDs); err != nil {
				return nil, fmt.Errorf("plan post %d: %w", start+j, err)
			}
		}
		ps, err := tx.Post.CreateBulk(creates...).Save(ctx)
		if err != nil {
			return nil, errs.FromEnt(err, "post")
		}
		evs := make([]events.Event, len(ps))
		for j, p := range ps {
			evs[j] = events.Event{Topic: events.TopicPost, WorkspaceID: p.WorkspaceID, ID: p.ID, Op: events.OpCreated}
		}
		s.bus.PublishOnCommit(tx, evs...)
		out = append(out, ps...)
	}
	return out, nil
}

// checkPlanFields checks what needs no database: statuses, dates, the
// media's form, and the lengths the platforms all share. A library item's
// type may be empty: the library may know it (planRefs.checkLibrary).
func (s *Service) checkPlanFields(in *PlanInput) error {
	switch in.Format {
	case FormatPost, FormatStory, FormatReel:
	default:
		return errs.Invalid("type", "must be one of the following values: post, story, reel")
	}
	switch in.Status {
	case post.StatusDRAFT, post.StatusSCHEDULED, post.StatusIN_REVIEW:
	default:
		return errs.Invalid("status", "cannot be set by a client")
	}
	if in.Status != post.StatusDRAFT {
		if len(in.AccountIDs) == 0 {
			return errs.Invalid("accountIDs", "should not be empty")
		}
		if in.ScheduledAt == nil && !in.PublishNow {
			return rule("scheduleDate", "is required for %s posts", strings.ToLower(string(in.Status)))
		}
		if in.Status == post.StatusIN_REVIEW && !in.Approval {
			return rule("postApprovalDetails", "are required for posts in review")
		}
	}
	if len(in.AccountIDs) > maxAccounts {
		return errs.Invalid("accountIDs", "at most %d accounts", maxAccounts)
	}
	if len(in.Media) > maxMedia {
		return errs.Invalid("media", "at most %d items", maxMedia)
	}
	if len(in.Body) > maxBody {
		return errs.Invalid("body", "at most %d characters", maxBody)
	}
	for i, m := range in.Media {
		_, library := s.mediaRef(m.URL)
		if !library && !isHTTPS(m.URL) {
			return errs.Invalid(fmt.Sprintf("media[%d].url", i), "must be an HTTPS URL")
		}
		if !(library && m.Type == "") && !isMIMEType(m.Type) {
			return errs.Invalid(fmt.Sprintf("media[%d].type", i), "must be a MIME type")
		}
		if m.Thumbnail != "" && !isHTTPS(m.Thumbnail) {
			return errs.Invalid(fmt.Sprintf("media[%d].thumbnail", i), "must be an HTTPS URL")
		}
	}
	if err := validSpintax("body", &in.Body); err != nil {
		return err
	}
	// Bounded for storage only: the follow-up comment is trimmed to each
	// platform's comment limit when it is published.
	if len(in.FirstComment) > maxBody {
		return errs.Invalid("firstComment", "at most %d characters", maxBody)
	}
	if err := validSpintax("firstComment", &in.FirstComment); err != nil {
		return err
	}
	in.AccountIDs = dedupe(in.AccountIDs)
	in.TagIDs = dedupe(in.TagIDs)
	return nil
}

// checkPlatforms applies each target platform's rules.
func checkPlatforms(in PlanInput, accs []*ent.Account) error {
	videos := 0
	for _, m := range in.Media {
		if m.IsVideo() {
			videos++
		}
	}
	onlyOneVideo := len(in.Media) == 1 && videos == 1
	content := strings.TrimSpace(in.Body) != ""
	d := in.Details
	for _, a := range accs {
		format := in.Format
		switch a.Platform {
		case account.PlatformFacebook:
			if d.FacebookFormat != "" {
				format = d.FacebookFormat
			}
		case account.PlatformInstagram:
			if d.InstagramFormat != "" {
				format = d.InstagramFormat
			}
		}
		if format == FormatReel && !onlyOneVideo {
			return rule("media", "reels require exactly 1 video")
		}
		switch a.Platform {
		case account.PlatformFacebook:
			if format == FormatStory && content {
				return rule("summary", "Facebook stories do not support captions")
			}
			if format == FormatReel && a.ExternalIds[accounts.ExternalAccountType] == "group" {
				return rule("type", "Facebook groups do not support reels")
			}
			if !content && len(in.Media) == 0 {
				return rule("summary", "Facebook posts need content or media")
			}
		case account.PlatformInstagram:
			if len(in.Media) == 0 {
				return rule("media", "Instagram posts need media")
			}
			if format == FormatStory && content {
				return rule("summary", "Instagram stories do not support captions")
			}
			if n := strings.Count(in.Body, "#"); n > maxHashtagsInstagram {
				return rule("summary", "Instagram allows at most %d hashtags (%d given)", maxHashtagsInstagram, n)
			}
			if users, ok := d.InstagramCollaborators[a.ObjectID]; ok {
				if format == FormatStory {
					return rule("instagramPostDetails.collaborators", "stories do not support collaborators")
				}
				if len(users) > maxCollaborators {
					return rule("instagramPostDetails.collaborators", "at most %d collaborators per account", maxCollaborators)
				}
			}
		case account.PlatformYoutube:
			if !onlyOneVideo {
				return rule("media", "YouTube posts need exactly 1 video")
			}
			if utf8.RuneCountInString(in.Body) > maxCaptionYouTube {
				return rule("summary", "YouTube descriptions are at most %d characters", maxCaptionYouTube)
			}
			if d.YouTubeType != "video" && d.YouTubeType != "short" {
				return rule("youtubePostDetails.type", "must be one of the following values: video, short")
			}
			if utf8.RuneCountInString(d.YouTubeTitle) > maxTitle100 {
				return rule("youtubePostDetails.title", "is at most %d characters", maxTitle100)
			}
			if d.YouTubePrivacy != "" && !slices.Contains([]string{"private", "public", "unlisted"}, d.YouTubePrivacy) {
				return rule("youtubePostDetails.privacyLevel", "must be one of the following values: private, public, unlisted")
			}
		case account.PlatformLinkedin:
			if len(in.Media) > maxMediaLinkedIn {
				return rule("media", "LinkedIn posts carry at most %d media", maxMediaLinkedIn)
			}
			if !content && len(in.Media) == 0 {
				return rule("summary", "LinkedIn posts need content or media")
			}
			if utf8.RuneCountInString(d.LinkedInPDFTitle) > maxTitle100 {
				return rule("linkedinPostDetails.pdfTitle", "is at most %d characters", maxTitle100)
			}
		case account.PlatformPinterest:
			if d.PinterestBoards[a.ObjectID] == "" && d.PinterestBoards[a.ExternalIds[accounts.ExternalOAuthID]] == "" {
				return rule("pinterestPostDetails.boardIds", "are required for Pinterest accounts")
			}
			if len(in.Media) != 1 {
				return rule("media", "Pinterest pins carry exactly 1 image or video")
			}
			if utf8.RuneCountInString(in.Body) > maxCaptionPinterest {
				return rule("summary", "Pinterest captions are at most %d characters", maxCaptionPinterest)
			}
			if utf8.RuneCountInString(d.PinterestTitle) > maxTitle100 {
				return rule("pinterestPostDetails.title", "is at most %d characters", maxTitle100)
			}
			if len(d.PinterestLink) > maxPinterestLink {
				return rule("pinterestPostDetails.link", "is at most %d characters", maxPinterestLink)
			}
		case account.PlatformGoogle:
			if !content && len(in.Media) == 0 {
				return rule("summary", "Google Business posts need content or media")
			}
		}
	}
	return nil
}

// truncateAltText cuts each item's alt text to the strictest limit of the
// post's platforms that show alt text; the text is stored once for all.
func truncateAltText(media []Media, accs []*ent.Account) {
	limit := -1
	for _, a := range accs {
		if l, ok := altTextLimits[a.Platform]; ok && (limit < 0 || l < limit) {
			limit = l
		}
	}
	if limit < 0 {
		return
	}
	for i := range media {
		if utf8.RuneCountInString(media[i].AltText) > limit {
			media[i].AltText = string([]rune(media[i].AltText)[:limit])
		}
	}
}

// writePlan stores the post (creating or replacing it) with its accounts,
// category and tags.
func (s *Service) writePlan(ctx context.Context, tx *ent.Tx, in PlanInput, accs []*ent.Account, catID *int, tagIDs []int) (*ent.Post, error) {
	if in.ObjectID == "" {
		c, err := s.createPlan(tx, in, accs, catID, tagIDs)
		if err != nil {
			return nil, err
		}
		p, err := c.Save(ctx)
		if err != nil {
			return nil, errs.FromEnt(err, "post")
		}
		s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: p.WorkspaceID, ID: p.ID, Op: events.OpCreated})
		return p, nil
	}
	w, err := s.written(in, accs)
	if err != nil {
		return nil, err
	}
	urls, accIDs, status, at, extra := w.urls, w.accIDs, w.status, w.at, w.extra
	// The row lock orders the replacement with a sweep fanning the post
	// out, as edit does.
	p, err := store.LockRows(s.driver, tx.Post.Query().Where(post.ObjectID(in.ObjectID)), store.LockWait).Only(ctx)
	if err != nil {
		return nil, errs.FromEnt(err, "post")
	}
	if !Editable(p.Status) {
		return nil, errs.Conflict("post is %s and can no longer be edited", strings.ToLower(string(p.Status)))
	}
	u := p.Update().
		SetBody(in.Body).SetMedia(urls).SetFirstComment(in.FirstComment).SetFollowUp(true).
		SetStatus(status).SetError("").
		ClearCategoryID().SetNillableCategoryID(catID).
		ClearTagRefs().AddTagRefIDs(tagIDs...).
		ClearAccounts().AddAccountIDs(accIDs...).
		SetDetails(extra)
	if at != nil {
		u.SetScheduledAt(*at)
	} else {
		u.ClearScheduledAt()
	}
	if p, err = u.Save(ctx); err != nil {
		return nil, errs.FromEnt(err, "post")
	}
	s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: p.WorkspaceID, ID: p.ID, Op: events.OpUpdated})
	return p, nil
}

// writtenPlan is what a planned post stores besides its references.
type writtenPlan struct {
	urls   []string
	accIDs []int
	status post.Status
	at     *time.Time
	extra  json.RawMessage
}

func (s *Service) written(in PlanInput, accs []*ent.Account) (writtenPlan, error) {
	w := writtenPlan{urls: make([]string, len(in.Media)), accIDs: make([]int, len(accs)), status: in.Status, at: in.ScheduledAt}
	for i, m := range in.Media {
		// The post's list holds a library item by id, as every face's
		// posts do, so that publishing it resolves the id (mediaURLs);
		// the details keep the address as written.
		w.urls[i] = m.URL
		if id, ok := s.mediaRef(m.URL); ok {
			w.urls[i] = strconv.Itoa(id)
		}
	}
	for i, a := range accs {
		w.accIDs[i] = a.ID
	}
	if in.PublishNow {
		now := s.now()
		w.status, w.at = post.StatusSCHEDULED, &now
	}
	var err error
	if in.Extra != nil {
		w.extra, err = in.Extra(in.Media)
	} else {
		// A post planned by no face (a queue's publication) keeps its
		// format and typed media too, for whoever copies it next.
		if w.extra, err = json.Marshal(plannedDetails{Type: in.Format, Media: in.Media}); err != nil {
			err = fmt.Errorf("encode post details: %w", err)
		}
	}
	return w, err
}

// createPlan builds the creation of a new planned post.
func (s *Service) createPlan(tx *ent.Tx, in PlanInput, accs []*ent.Account, catID *int, tagIDs []int) (*ent.PostCreate, error) {
	w, err := s.written(in, accs)
	if err != nil {
		return nil, err
	}
	source := in.Source
	if source == "" {
		source = post.SourceAPI
	}
	return tx.Post.Create().
		SetBody(in.Body).SetMedia(w.urls).SetFirstComment(in.FirstComment).SetFollowUp(true).
		SetStatus(w.status).SetNillableScheduledAt(w.at).SetSource(source).
		SetNillableCategoryID(catID).AddTagRefIDs(tagIDs...).AddAccountIDs(w.accIDs...).
		SetDetails(w.extra), nil
}

// GetByObjectID returns the workspace's post with that ObjectId.
func (s *Service) GetByObjectID(ctx context.Context, oid string) (*ent.Post, error) {
	p, err := s.client.Post.Query().Where(post.ObjectID(strings.ToLower(oid))).Only(ctx)
	return p, errs.FromEnt(err, "post")
}

// ErrNoneFound is Remove's answer when none of the posts exist.
var ErrNoneFound = errors.New("no posts found")

// Remove takes posts off the planner by ObjectId in one transaction: each
// becomes DELETED (kept, and shown only where deleted posts are listed)
// and its waiting publish tasks are cancelled; a post published already
// stays on its platforms. Posts already deleted count as removed; a post
// being published cannot be removed (conflict). It returns how many posts
// it found, or ErrNoneFound (a not-found error) when it found none.
func (s *Service) Remove(ctx context.Context, oids []string) (int, error) {
	var n int
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) (err error) {
		n, err = s.RemoveTx(ctx, tx, oids)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("remove posts: %w", err)
	}
	return n, nil
}

// RemoveTx is Remove inside the caller's transaction (a queue withdrawing
// the post it scheduled).
func (s *Service) RemoveTx(ctx context.Context, tx *ent.Tx, oids []string) (int, error) {
	q := tx.Post.Query().Where(post.ObjectIDIn(dedupe(oids)...)).Order(post.ByID())
	ps, err := store.LockRows(s.driver, q, store.LockWait).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("lock posts: %w", err)
	}
	if len(ps) == 0 {
		return 0, fmt.Errorf("%w: %w", ErrNoneFound, errs.NotFound("post"))
	}
	var ids []int
	for _, p := range ps {
		if !Deletable(p.Status) {
			return 0, errs.Conflict("post %s is being published; cancel its tasks first", p.ObjectID)
		}
		if !Deleted(p.Status) {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) > 0 {
		if _, err := s.tasks.CancelWaiting(ctx, tx, "post deleted",
			[]task.Status{task.StatusPENDING, task.StatusASSIGNED}, task.PostIDIn(ids...)); err != nil {
			return 0, err
		}
		if err := tx.Post.Update().Where(post.IDIn(ids...)).SetStatus(post.StatusDELETED).Exec(ctx); err != nil {
			return 0, fmt.Errorf("mark posts deleted: %w", err)
		}
		evs := make([]events.Event, len(ids))
		for i, id := range ids {
			evs[i] = events.Event{Topic: events.TopicPost, WorkspaceID: ps[0].WorkspaceID, ID: id, Op: events.OpUpdated}
		}
		s.bus.PublishOnCommit(tx, evs...)
	}
	return len(ps), nil
}

func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

func dedupe(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		s = strings.ToLower(s)
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
