package schema

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// ObjectIDMixin gives an entity a MongoDB-style ObjectId beside its integer
// and UUID identities: HighLevel's document validates its ids as 24 hex
// digits (createdBy, tags, categoryId, parentId), so every entity it names
// carries one from creation, and the HighLevel router shows it as the id.
type ObjectIDMixin struct{ mixin.Schema }

// Fields of the ObjectIDMixin.
func (ObjectIDMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("object_id").
			DefaultFunc(NewObjectID).
			Immutable().
			Unique().
			MaxLen(24).
			Comment("24-hex id (4-byte time + 8 random bytes) shown by the HighLevel routes").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// NewObjectID returns a fresh ObjectId for a row created now.
func NewObjectID() string { return ObjectIDAt(time.Now()) }

// ObjectIDAt returns an ObjectId whose leading four bytes are t's Unix
// seconds, like MongoDB's, followed by eight random bytes (MongoDB's
// process id and counter carry no meaning for its clients; randomness keeps
// ids unguessable and unique without coordination between replicas).
func ObjectIDAt(t time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(t.Unix()))
	_, _ = rand.Read(b[4:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// IsObjectID reports whether s has an ObjectId's form: 24 lower- or
// upper-case hex digits.
func IsObjectID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
