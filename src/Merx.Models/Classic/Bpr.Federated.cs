using Merx.Core.Contracts;
using Merx.Models.Federated;

namespace Merx.Models.Classic;

/// <summary>
/// Federated BPR-MF. The shared model is the item side, laid out as one vector
/// [item factors (n, k) | item biases (n)]; each user's factor vector (and its Adagrad
/// accumulator) lives with the client that owns the user and is updated only there, so only item
/// deltas ever leave a client. A local round is ordinary BPR on the client's own triples with fresh
/// Adagrad accumulators for the item side.
/// </summary>
public sealed partial class Bpr : IFederatedModel
{
    private float[] _fedUserAcc = [];      // (U, k) client-held Adagrad accumulators of the user factors
    private float[] _fedItemAcc = [];      // (n, k) scratch: one client's item accumulators, reset every round
    private float[] _fedBiasAcc = [];      // (n)

    /// <summary>Length of the shared vector: n·k + n.</summary>
    public int SharedParameterCount => _n * Factors + _n;

    public float[] InitializeFederated(TrainingData data, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        int k = Factors;
        _n = data.ItemCount; _u = data.UserCount;
        var rng = new Random(seed);
        _users = FactorScoring.RandomMatrix(_u, k, 0.1f, rng);
        _items = FactorScoring.RandomMatrix(_n, k, 0.1f, rng);
        _bias = new float[_n];
        _fedUserAcc = new float[_users.Length];
        _fedItemAcc = new float[_items.Length];
        _fedBiasAcc = new float[_n];
        var global = new float[SharedParameterCount];
        _items.CopyTo(global, 0);
        return global;
    }

    public long LocalUpdate(ReadOnlySpan<float> global, ClientShard shard, FederatedLocalOptions options, int seed, Span<float> delta)
    {
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentNullException.ThrowIfNull(options);
        var p = SharedParameterCount;
        if (global.Length != p || delta.Length != p) throw new ArgumentException($"global and delta must have {p} values (item factors and biases)");
        if (options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "local epochs must be ≥ 1");
        if (options.Sgd || options.LearningRate is not null || options.BatchSize is not null)
            throw new ArgumentException("federated BPR trains with its own Adagrad settings: local SGD, learning rate and batch size apply to the Transformer only");
        int k = Factors, ik = _n * k;
        global[..ik].CopyTo(_items);
        global[ik..].CopyTo(_bias);
        Array.Clear(_fedItemAcc);
        Array.Clear(_fedBiasAcc);
        // The client's rows as sorted distinct item sets: negatives are items the user never had.
        var seqs = shard.Sequences;
        var rows = new int[shard.Users.Length][];
        long interactions = 0;
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = ClassicHelpers.Distinct(seqs.ItemsOf(r), _n);
            Array.Sort(rows[r]);
            interactions += rows[r].Length;
        }
        var active = Enumerable.Range(0, rows.Length).Where(r => rows[r].Length > 0 && rows[r].Length < _n).ToArray();
        var rng = new Random(seed);
        if (active.Length > 0)
            for (var e = 0; e < options.Epochs; e++)
                for (long s = 0; s < interactions; s++)
                {
                    var r = active[rng.Next(active.Length)];
                    var row = rows[r];
                    var i = row[rng.Next(row.Length)];
                    int j;
                    do j = rng.Next(_n); while (Array.BinarySearch(row, j) >= 0);
                    var u = shard.Users[r];
                    Step(_users.AsSpan(u * k, k), _fedUserAcc.AsSpan(u * k, k), i, j, _fedItemAcc, _fedBiasAcc, updateItems: true);
                }
        for (var x = 0; x < ik; x++) delta[x] = _items[x] - global[x];
        for (var x = 0; x < _n; x++) delta[ik + x] = _bias[x] - global[ik + x];
        return Math.Max(1, interactions);
    }

    public void SetGlobal(ReadOnlySpan<float> global)
    {
        if (global.Length != SharedParameterCount) throw new ArgumentException($"global must have {SharedParameterCount} values");
        var ik = _n * Factors;
        global[..ik].CopyTo(_items);
        global[ik..].CopyTo(_bias);
    }
}
