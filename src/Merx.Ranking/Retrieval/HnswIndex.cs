using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using Cloud.Unum.USearch;
using Merx.Core.Contracts;
using Merx.Numerics;

namespace Merx.Ranking.Retrieval;

/// <summary>How an <see cref="HnswIndex"/> stores its copy of the vectors.</summary>
public enum HnswStorage { Float32, Float16, Int8 }

/// <summary>HNSW graph settings (Malkov &amp; Yashunin): links per node, candidate lists while building and searching.</summary>
/// <param name="ExpansionSearch">The search width: the graph is asked for at least this many items, whatever width a graph read from a file holds.</param>
/// <param name="CandidateFactor">The best k × this items the graph finds are re-ranked exactly with the float vectors.</param>
/// <param name="Lift">Graph on the lifted unit vectors under cosine instead of inner product on the vectors as they are (see <see cref="HnswIndex"/>); always for int8.</param>
/// <param name="HeadItems">Items of largest norm scanned in full beside the graph on every search (null: <see cref="HeadFor"/> the catalog; 0: none).</param>
/// <param name="HeadTolerance">
/// The share of the answers the head alone may miss, as audited, for it to answer without its proof (0: only with the proof).
/// Searches that run the graph after the head record how many of their answers the head's own best k lacked; once 64 such
/// audits for a k (by ⌊log₂ k⌋) miss at most this share, the head answers alone, and every 16th search still runs the
/// graph to keep the record current. Its answers are exactly scored; only recall can differ, by the audited share.
/// </param>
public sealed record HnswOptions(HnswStorage Storage = HnswStorage.Float16, int Connectivity = 16, int ExpansionAdd = 64, int ExpansionSearch = 128, int CandidateFactor = 2, bool Lift = false, int? HeadItems = null, double HeadTolerance = HnswOptions.DefaultHeadTolerance)
{
    /// <summary>
    /// 0.5 % of the answers: about 0.998 recall@100 against the graph's answers on the served 1M model, whose exact top 100 lie
    /// 99.84 % in the head (bench/results/index.md); far below what the graph's own search loses on clustered vectors.
    /// </summary>
    public const double DefaultHeadTolerance = 0.005;

    /// <summary>
    /// The head for a catalog of <paramref name="items"/>: 16,384 items (all of a smaller catalog). On the served Transformers of
    /// the 1M- and 10M-item shops every measured query's exact top-10 lay within the 4,210 and 3,123 items of largest norm, and
    /// 99.84 % and 100 % of its top-100 within 16,384 (bench/results/index.md): the head follows the items the model learned,
    /// not the catalog's size.
    /// </summary>
    public static int HeadFor(int items) => Math.Min(items, 16_384);

    /// <summary>
    /// The search width for a catalog of <paramref name="items"/>: 128 up to 2.5M items, 256 up to 5M, 512 above
    /// (measured on clustered vectors, bench/results/index.md: recall@10 0.971 at 1M with 128, 0.845 at 10M with 128
    /// and 0.983 with 512; the steps between are interpolated, not measured).
    /// </summary>
    public static int ExpansionSearchFor(int items) => items <= 2_500_000 ? 128 : items <= 5_000_000 ? 256 : 512;
}

/// <summary>
/// Approximate maximum-inner-product search through USearch's HNSW graph (Cloud.Unum.USearch, native),
/// with its own f32, f16 or int8 copy of the vectors and an exact float re-rank of what the graph
/// returns. f32 and f16 graphs use USearch's inner-product metric on the vectors as they are. USearch's
/// int8 storage maps x·127 (clamped) and, with the inner-product metric, measured recall@10 0.12 on
/// clustered vectors; so an int8 graph takes each item as x' = [x / R, √(1 − |x|² / R²)] (R the largest
/// item norm) and each query as q' = [q / |q|, 0] under the cosine metric: every x' has norm 1, every
/// entry lies in [−1, 1], and x'·q' = x·q / (R |q|), so the cosine order is the inner-product order
/// (Bachrach et al., RecSys 2014). Items can be added and removed while it serves (a reader-writer lock;
/// an added item is found by the next search). Beside the graph, every search scans the items of largest norm
/// in int8 (<see cref="HnswOptions.HeadItems"/>, <see cref="NormHead"/>), where an inner-product graph finds a
/// trained model's best answers worst; when the head's own k-th best score is at least |q| times the largest norm
/// outside it, those are the exact answers and the graph is not searched (<see cref="HeadAnswers"/>). Without that proof
/// the head may still answer alone on its audited record (<see cref="HnswOptions.HeadTolerance"/>,
/// <see cref="HeadAnswersOnRecord"/>). Thread-safe.
/// </summary>
public sealed class HnswIndex : IItemIndex, IDisposable
{
    private readonly USearchIndex _graph;
    private readonly int _d;
    private readonly float _radius;   // R: the largest norm of the vectors the graph was built on
    private readonly VectorTable _rows;   // the model's own item rows: the exact scores
    private readonly NormHead _head;
    private readonly int _baseCount;
    private readonly Dictionary<int, float[]> _added = [];
    private readonly ReaderWriterLockSlim _lock = new();
    // USearch reserves one search context per hardware thread and fails a search that finds none free
    // ("Reserve capacity ahead of searches!"): more concurrent requests than cores wait here instead.
    private readonly SemaphoreSlim _searchSlots = new(Environment.ProcessorCount);
    private long _headAnswers, _headOnRecord;
    private readonly long[] _searches = new long[32], _tries = new long[32], _proofs = new long[32];   // by ⌊log₂ k⌋ (HeadFirst; Searches)
    private readonly long[] _audits = new long[32], _auditMisses = new long[32], _auditAnswers = new long[32];   // by ⌊log₂ k⌋, under _auditLock
    private readonly bool[] _onRecord = new bool[32];   // by ⌊log₂ k⌋: what the audits allow now (OnRecord), read without the lock
    private readonly Lock _auditLock = new();

    private HnswIndex(USearchIndex graph, float radius, NormHead head, VectorTable rows, HnswOptions options)
    {
        _graph = graph; _d = rows.Dimension; _radius = radius; _head = head; _rows = rows; _baseCount = rows.Count; Options = options;
    }

    /// <summary>Items scanned in full beside the graph on every search (<see cref="HnswOptions.HeadItems"/>).</summary>
    public int HeadCount => _head.Count;

    public HnswOptions Options { get; }
    // Whether vectors enter the graph lifted to d + 1 entries for the cosine metric (int8 storage).
    private bool Lifted => Options.Lift || Options.Storage == HnswStorage.Int8;
    public string Name => $"hnsw-{Options.Storage switch { HnswStorage.Int8 => "i8", HnswStorage.Float16 => "f16", _ => "f32" }}{(Lifted && Options.Storage != HnswStorage.Int8 ? "-lift" : "")}";
    public int Count { get { _lock.EnterReadLock(); try { return (int)_graph.Size(); } finally { _lock.ExitReadLock(); } } }

    /// <summary>
    /// Estimated from USearch's layout: the vector copy (d + 1 entries when lifted), 2·M level-0 links of 4 bytes and their count, the
    /// key (8) and level (2), and the upper levels (a node reaches them with probability 1/M, with M links: 4 bytes on average).
    /// </summary>
    public double BytesPerItem => (Lifted ? _d + 1 : _d) * Options.Storage switch { HnswStorage.Int8 => 1, HnswStorage.Float16 => 2, _ => 4 } + (2 * Options.Connectivity + 1) * 4 + 8 + 2 + 4
        + _head.Bytes / Math.Max(1, _baseCount);

    /// <summary>
    /// Builds the graph over the model's item rows (float, or int8 read dequantized), one item at a time in index order
    /// (deterministic for a given input), reporting progress about every 10 % and stopping with
    /// <see cref="OperationCanceledException"/> when <paramref name="cancel"/> fires (a build time budget). The rows are kept,
    /// never copied, for the exact scores.
    /// </summary>
    public static HnswIndex Build(VectorTable rows, HnswOptions? options = null, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        options ??= new HnswOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Connectivity, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CandidateFactor, 1);
        if (options.HeadItems < 0) throw new ArgumentOutOfRangeException(nameof(options), "HeadItems must be 0 or more");
        var (n, d) = (rows.Count, rows.Dimension);
        var head = Head(rows, options, out var radius);
        var lift = options.Lift || options.Storage == HnswStorage.Int8;
        var graph = new USearchIndex(lift ? MetricKind.Cos : MetricKind.Ip, Scalar(options.Storage), (ulong)(lift ? d + 1 : d), (ulong)options.Connectivity, (ulong)options.ExpansionAdd, (ulong)options.ExpansionSearch);
        try
        {
            // In chunks: the binding grows the graph's capacity once per call.
            const int chunk = 4096;
            var clock = Stopwatch.StartNew();
            var next = n / 10;
            var scratch = new float[d];   // an int8 row dequantized; the graph gets a copy of its own
            for (var i0 = 0; i0 < n; i0 += chunk)
            {
                cancel.ThrowIfCancellationRequested();
                var count = Math.Min(chunk, n - i0);
                var keys = new ulong[count];
                var batch = new float[count][];
                for (var i = 0; i < count; i++)
                {
                    keys[i] = (ulong)(i0 + i);
                    var row = rows.Row(i0 + i, scratch);
                    batch[i] = lift ? Lift(row, radius) : row.ToArray();
                }
                graph.Add(keys, batch);
                if (progress is not null && i0 + count >= next && i0 + count < n)
                {
                    progress.Report($"hnsw: {i0 + count:N0} of {n:N0} items linked ({clock.Elapsed.TotalSeconds:F0} s)");
                    next += n / 10;
                }
            }
            return new HnswIndex(graph, radius, head, rows, options);
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a graph written by <see cref="Save"/> for the same item rows and options (the file is
    /// checked to hold n items of the right width; items added after the build are not in the file's base).
    /// </summary>
    public static HnswIndex Load(string path, VectorTable rows, HnswOptions? options = null)
    {
        options ??= new HnswOptions();
        var (n, d) = (rows.Count, rows.Dimension);
        var lift = options.Lift || options.Storage == HnswStorage.Int8;
        var graph = new USearchIndex(path);
        if ((int)graph.Size() != n || (int)graph.Dimensions() != (lift ? d + 1 : d))
        {
            var found = $"{graph.Size()} items of {graph.Dimensions()}";
            graph.Dispose();
            throw new InvalidDataException($"{path} holds {found}, not {n} of {(lift ? d + 1 : d)}");
        }
        var head = Head(rows, options, out var radius);
        return new HnswIndex(graph, radius, head, rows, options);
    }

    // The head of the options, and R = the largest row norm (1 when every row is zero), from one pass over the norms.
    private static NormHead Head(VectorTable rows, HnswOptions options, out float radius)
    {
        var head = NormHead.Of(rows, options.HeadItems ?? HnswOptions.HeadFor(rows.Count), out radius);
        if (radius == 0) radius = 1;
        return head;
    }

    public ScoredItem[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? admissible = null)
    {
        if (query.Length != _d) throw new ArgumentException($"query must have {_d} entries", nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0) return [];
        var b = BitOperations.Log2((uint)k);
        var searches = Interlocked.Increment(ref _searches[b]);
        _lock.EnterReadLock();
        try
        {
            if (_head.Count == 0) return SearchGraph(GraphQuery(query), query, k, admissible);
            var size = Math.Min(_head.Count, 2 * k);
            Span<sbyte> uq = stackalloc sbyte[_d];
            // Int8 scores are the float ones over the query's scale.
            var qScale = Int8Rows.QuantizeRow(query, uq) is var sq and > 0 ? sq : 1f;
            var pool = new TopKHeap(size);
            if (HeadFirst(b, searches))
            {
                // The head first: its 2k best by int8 score, best first. They are the catalog's best when nothing else
                // can reach their k-th exact score: an item outside the head scores at most |q| times the largest norm
                // out there, a head item left out of a full pool at most the pool's lowest score plus 1 % (int8 rounding
                // moves a score far less). A pool that is not full holds every admissible head item. The exact scores
                // are taken only when the int8 k-th score comes within 1 % of that bound.
                _head.Scan(uq, pool, admissible);
                var ranked = pool.ToSortedArray();
                var outside = _head.OutsideNorm < 0 ? float.NegativeInfinity : TensorPrimitives.Norm(query) * _head.OutsideNorm;
                var rest = ranked.Length < size ? float.NegativeInfinity : Plus1Percent(ranked[^1].Score * qScale);
                var bound = MathF.Max(outside, rest);
                Interlocked.Increment(ref _tries[b]);
                ScoredItem[]? own = null;   // the head's exact best k
                if (ranked.Length >= k ? Plus1Percent(ranked[k - 1].Score * qScale) >= bound : float.IsNegativeInfinity(outside))
                {
                    own = ExactBest(ranked, k, query);
                    if ((own.Length < k ? float.NegativeInfinity : own[^1].Score) >= bound)
                    {
                        Interlocked.Increment(ref _proofs[b]);
                        Interlocked.Increment(ref _headAnswers);
                        return own;
                    }
                }
                // Without the proof: a full pool (2k admissible head items) may still answer alone on the audits' record.
                var audited = ranked.Length == size && ranked.Length >= k && Options.HeadTolerance > 0;
                if (audited) own ??= ExactBest(ranked, k, query);
                if (audited && searches % 16 != 7 && OnRecord(b))
                {
                    Interlocked.Increment(ref _headOnRecord);
                    return own!;
                }
                var top = SearchGraph(GraphQuery(query), query, k, admissible);
                var floor = Floor(top, k);
                var above = 0;
                while (above < ranked.Length && ranked[above].Score * qScale >= floor) above++;
                var merged = Merge(top, k, Array.ConvertAll(ranked[..above], c => c.Item), query);
                if (audited) Audit(b, merged, own!);
                return merged;
            }
            else
            {
                // The graph first; then the head's items that could beat its k-th best (int8 score within 1 %), at most 2k.
                var top = SearchGraph(GraphQuery(query), query, k, admissible);
                _head.Scan(uq, pool, admissible, Floor(top, k) / qScale);
                return Merge(top, k, pool.UnorderedItems, query);
            }
        }
        finally { _lock.ExitReadLock(); }
    }

    private static float Plus1Percent(float score) => score + 0.01f * MathF.Abs(score);

    // The graph's k-th best less 1 %: head items whose int8 score reaches it may belong in the answer.
    private static float Floor(ScoredItem[] top, int k) => top.Length < k ? float.NegativeInfinity : top[k - 1].Score - 0.01f * MathF.Abs(top[k - 1].Score);

    // The graph's items keep their exact scores; the head's others are scored exactly.
    private ScoredItem[] Merge(ScoredItem[] top, int k, ReadOnlySpan<int> fromHead, ReadOnlySpan<float> query)
    {
        var best = new TopKHeap(k);
        var seen = new HashSet<int>(top.Length);
        foreach (var t in top) { seen.Add(t.Item); best.Offer(t.Item, t.Score); }
        foreach (var item in fromHead)
            if (!seen.Contains(item)) best.Offer(item, _head.Dot(item, query));
        return best.ToSortedArray();
    }

    // The head's exact best k of its int8 pool, best first.
    private ScoredItem[] ExactBest(ScoredItem[] ranked, int k, ReadOnlySpan<float> query)
    {
        var exact = new TopKHeap(k);
        foreach (var c in ranked) exact.Offer(c.Item, _head.Dot(c.Item, query));
        return exact.ToSortedArray();
    }

    // Whether to search the head first, for a k in bucket b (⌊log₂ k⌋): while learning (64 tries, and up to 256 until 64
    // audits), while at least a quarter of the tries ended in a proof, while the head may answer on its record, and on
    // every 32nd search after that, so a change is noticed. A try that fails costs an unbounded head scan before the
    // graph: at top 100 on the served 1M model, one in ten ends in a proof.
    private bool HeadFirst(int b, long searches)
    {
        var tries = Volatile.Read(ref _tries[b]);
        return tries < 64 || (Options.HeadTolerance > 0 && tries < 256 && Volatile.Read(ref _audits[b]) < 64)
            || 4 * Volatile.Read(ref _proofs[b]) >= tries || OnRecord(b) || searches % 32 == 0;
    }

    // Whether the audits of bucket b (at least 64) missed at most the tolerated share of their answers.
    private bool OnRecord(int b) => Volatile.Read(ref _onRecord[b]);

    // One audit: the answers of a search through the graph that the head's own best k lacked. The record halves at 1,024
    // audits, so it follows the model's and the traffic's changes.
    private void Audit(int b, ScoredItem[] answers, ScoredItem[] own)
    {
        var mine = new HashSet<int>(own.Length);
        foreach (var o in own) mine.Add(o.Item);
        var misses = 0;
        foreach (var a in answers) if (!mine.Contains(a.Item)) misses++;
        lock (_auditLock)
        {
            if (_audits[b] >= 1024) { _audits[b] /= 2; _auditMisses[b] /= 2; _auditAnswers[b] /= 2; }
            _audits[b]++; _auditMisses[b] += misses; _auditAnswers[b] += answers.Length;
            Volatile.Write(ref _onRecord[b], Options.HeadTolerance > 0 && _audits[b] >= 64 && _auditMisses[b] <= Options.HeadTolerance * _auditAnswers[b]);
        }
    }

    // An item that could be in many answers arrived outside the head: the record starts again.
    private void ForgetAudits()
    {
        lock (_auditLock)
        {
            Array.Clear(_audits); Array.Clear(_auditMisses); Array.Clear(_auditAnswers);
            for (var b = 0; b < _onRecord.Length; b++) Volatile.Write(ref _onRecord[b], false);
        }
    }

    /// <summary>Searches answered by the head alone, with the proof above that nothing outside it scores higher.</summary>
    public long HeadAnswers => Interlocked.Read(ref _headAnswers);

    /// <summary>Searches answered by the head alone without the proof, on its audited record (<see cref="HnswOptions.HeadTolerance"/>).</summary>
    public long HeadAnswersOnRecord => Interlocked.Read(ref _headOnRecord);

    /// <summary>Searches so far (k ≥ 1), by the head alone or through the graph.</summary>
    public long Searches
    {
        get
        {
            long all = 0;
            for (var b = 0; b < _searches.Length; b++) all += Interlocked.Read(ref _searches[b]);
            return all;
        }
    }

    // The query as the graph's metric takes it: as it is, or lifted (q / |q|, 0) for the cosine graph.
    private float[] GraphQuery(ReadOnlySpan<float> query)
    {
        if (!Lifted) return query.ToArray();
        var norm = TensorPrimitives.Norm(query);
        var q = new float[_d + 1];
        TensorPrimitives.Multiply(query, norm > 0 ? 1f / norm : 1f, q.AsSpan(0, _d));
        return q;
    }

    // The graph's best k admissible items, exactly re-ranked. Ask for more when the filter rejects many of those found:
    // ×1, ×4, ×16 the candidates, then the whole graph. The graph is asked for at least ExpansionSearch items (USearch
    // searches with max(its ef, count)) and the best `want` of them are kept, so the search is as wide as the options say
    // whatever the native graph holds: a graph read back from a file has USearch's default ef (64), the binding passes no
    // options to a load. Under the read lock.
    private ScoredItem[] SearchGraph(float[] q, ReadOnlySpan<float> query, int k, Func<int, bool>? admissible)
    {
        var size = (int)_graph.Size();
        for (var want = Math.Min(size, k * Options.CandidateFactor); ; want = Math.Min(size, want * 4))
        {
            int found; ulong[] keys;
            _searchSlots.Wait();
            try { found = Math.Min(want, _graph.Search(q, Math.Min(size, Math.Max(want, Options.ExpansionSearch)), out keys, out _)); }
            finally { _searchSlots.Release(); }
            var candidates = new List<ScoredItem>(found);
            for (var i = 0; i < found; i++)
                if (admissible is null || admissible((int)keys[i])) candidates.Add(new ScoredItem((int)keys[i], 0));
            if (candidates.Count >= k || want >= size) return ExactRerank.Top(candidates, query, k, ExactDot);
        }
    }

    /// <summary>Adds (or replaces) an item's vector; the next search can return it.</summary>
    public void Add(int item, ReadOnlySpan<float> vector)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        if (vector.Length != _d) throw new ArgumentException($"vector must have {_d} entries", nameof(vector));
        if (TensorPrimitives.MaxMagnitude(vector) is var m && !float.IsFinite(m)) throw new ArgumentException("the vector holds a non-finite value", nameof(vector));
        _lock.EnterWriteLock();
        try
        {
            if (_graph.Contains((ulong)item)) _graph.Remove((ulong)item);
            _graph.Add((ulong)item, Lifted ? Lift(vector, _radius) : vector.ToArray());
            _added[item] = vector.ToArray();
            if (_head.Replace(item, vector)) ForgetAudits();
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Removes an item; false when the index does not hold it.</summary>
    public bool Remove(int item)
    {
        _lock.EnterWriteLock();
        try
        {
            _added.Remove(item);
            _head.Remove(item);
            return _graph.Remove((ulong)item) > 0;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Whether the index holds the item.</summary>
    public bool Contains(int item)
    {
        _lock.EnterReadLock();
        try { return _graph.Contains((ulong)item); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Writes the graph (USearch's file format) to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        _lock.EnterReadLock();
        try { _graph.Save(path); }
        finally { _lock.ExitReadLock(); }
    }

    private float ExactDot(int item, ReadOnlySpan<float> query) =>
        _added.TryGetValue(item, out var own) ? TensorPrimitives.Dot(own, query) : item < _baseCount ? _rows.Dot(item, query) : float.NaN;

    public void Dispose()
    {
        _graph.Dispose();
        _lock.Dispose();
        _searchSlots.Dispose();
    }

    // [x / R, √(1 − |x|²/R²)]; an item added later with |x| > R gets 0 there (its cosine order is then approximate; the re-rank is exact).
    private static float[] Lift(ReadOnlySpan<float> x, float radius)
    {
        var r = new float[x.Length + 1];
        TensorPrimitives.Multiply(x, 1f / radius, r.AsSpan(0, x.Length));
        var n2 = TensorPrimitives.SumOfSquares<float>(r.AsSpan(0, x.Length));
        r[^1] = MathF.Sqrt(MathF.Max(0, 1 - n2));
        return r;
    }

    private static ScalarKind Scalar(HnswStorage storage) => storage switch
    {
        HnswStorage.Float32 => ScalarKind.Float32,
        HnswStorage.Float16 => ScalarKind.Float16,
        HnswStorage.Int8 => ScalarKind.Int8,
        _ => throw new ArgumentOutOfRangeException(nameof(storage)),
    };
}
