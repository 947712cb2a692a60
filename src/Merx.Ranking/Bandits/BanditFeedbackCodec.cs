namespace Merx.Ranking.Bandits;

/// <summary>
/// A <see cref="BanditFeedback"/> as bytes, so that replicas sharing one store can apply each other's
/// updates (issue 18: the policy learns from feedback received by any replica). The user's key is left out
/// (no policy's update reads it); the user vector, history length, recent counts, known categories and
/// segment are kept, since linear and segmented policies learn from them. Items are catalog indices, which
/// replicas over one store share (the catalog is ordered by the store's item keys, append-only).
/// </summary>
public static class BanditFeedbackCodec
{
    private const byte Version = 1;

    public static byte[] Encode(BanditFeedback f)
    {
        ArgumentNullException.ThrowIfNull(f);
        using var ms = new MemoryStream(64 + 4 * f.Request.UserVector.Length);
        using (var w = new BinaryWriter(ms))
        {
            w.Write(Version);
            w.Write(f.Item); w.Write(f.ExploitRank); w.Write(f.Category); w.Write(f.Slot);
            w.Write(f.Explored); w.Write(f.Clicked); w.Write(f.SlateSize);
            var q = f.Request;
            w.Write(q.HistoryLength); w.Write(q.RecentImpressions); w.Write(q.RecentClicks); w.Write(q.Segment);
            w.Write(q.UserVector.Length);
            foreach (var x in q.UserVector.Span) w.Write(x);
            w.Write(q.KnownCategories?.Count ?? -1);
            if (q.KnownCategories is { } known) foreach (var c in known.Order()) w.Write(c);
        }
        return ms.ToArray();
    }

    /// <summary>Reads what <see cref="Encode"/> wrote; <see cref="InvalidDataException"/> for anything else.</summary>
    public static BanditFeedback Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes));
            if (r.ReadByte() != Version) throw new InvalidDataException("bandit feedback: unknown version");
            var (item, rank, category, slot) = (r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
            var (explored, clicked, slate) = (r.ReadBoolean(), r.ReadBoolean(), r.ReadInt32());
            var (history, impressions, clicks, segment) = (r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32());
            var d = r.ReadInt32();
            if (d < 0 || d > (bytes.Length - r.BaseStream.Position) / 4) throw new InvalidDataException("bandit feedback: bad vector length");
            var vector = new float[d];
            for (var i = 0; i < d; i++) vector[i] = r.ReadSingle();
            var n = r.ReadInt32();
            if (n < -1 || n > (bytes.Length - r.BaseStream.Position) / 4) throw new InvalidDataException("bandit feedback: bad category count");
            HashSet<int>? known = n < 0 ? null : new HashSet<int>(n);
            for (var i = 0; i < n; i++) known!.Add(r.ReadInt32());
            if (r.BaseStream.Position != bytes.Length) throw new InvalidDataException("bandit feedback: trailing bytes");
            return new BanditFeedback
            {
                Request = new BanditRequest
                {
                    UserVector = vector, HistoryLength = history, RecentImpressions = impressions, RecentClicks = clicks,
                    KnownCategories = known, Segment = segment,
                },
                Item = item, ExploitRank = rank, Category = category, Slot = slot, Explored = explored, Clicked = clicked, SlateSize = slate,
            };
        }
        catch (EndOfStreamException e) { throw new InvalidDataException("bandit feedback: truncated", e); }
    }
}
