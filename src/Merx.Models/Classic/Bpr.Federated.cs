using Merx.Core.Contracts;
using Merx.Models.Federated;

namespace Merx.Models.Classic;

/// <summary>
/// Federated BPR-MF. The shared model is the item side, laid out as one vector
/// [item factors (n, k) | item biases (n)]; each user's factor vector (and its Adagrad
/// accumulator) lives with the client that owns the user and is updated only there, so only item
/// deltas ever leave a client. A local round (driven by <see cref="Training.FederatedClientTrainer"/>)
/// is ordinary BPR on the client's own triples: the item side either by Adagrad with accumulators
/// reset every round, or by plain SGD (<see cref="FederatedLocalOptions.Sgd"/>, for an adaptive
/// server optimizer). Optionally the client first refits its users against the current global
/// items (items fixed, <see cref="FederatedLocalOptions.UserRefitEpochs"/>), as in FCF (Ammad-ud-din et al. 2019):
/// a user's vector otherwise last moved when its client last took part, against older items.
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

    /// <summary>
    /// Prepares a client's local copy: the global item side (P = n·k + n) becomes the model's items,
    /// the round's item accumulators are reset, and the client's users are first refitted against it
    /// (<see cref="FederatedLocalOptions.UserRefitEpochs"/>, drawing from <paramref name="rng"/>).
    /// </summary>
    public IFederatedClient BeginLocal(ReadOnlySpan<float> global, ClientShard shard, FederatedLocalOptions options, int seed, Random rng)
    {
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentNullException.ThrowIfNull(rng);
        CheckLocalOptions(options);
        var ik = _n * Factors;
        global[..ik].CopyTo(_items);
        global[ik..].CopyTo(_bias);
        Array.Clear(_fedItemAcc);
        Array.Clear(_fedBiasAcc);
        var rows = ClientRows(shard, out var interactions);
        RefitUsers(shard, rows, options.UserRefitEpochs, rng);
        return new LocalClient(this, shard, rows, interactions, options.Sgd ? options.LearningRate ?? LearningRate : 0f);
    }

    /// <summary>
    /// One client's BPR round: a step is one triple (user, own item i, never-seen item j) drawn
    /// uniformly from the client's users who have both; an epoch is as many triples as the client
    /// holds distinct (user, item) pairs.
    /// </summary>
    private sealed class LocalClient(Bpr model, ClientShard shard, int[][] rows, long interactions, float itemSgdLr) : IFederatedClient
    {
        // (a) rows with at least one positive and one negative item: the only ones a triple can come from.
        private readonly int[] _active = Enumerable.Range(0, rows.Length).Where(r => rows[r].Length > 0 && rows[r].Length < model._n).ToArray();

        public long Examples => interactions;

        public long StepsPerEpoch => _active.Length > 0 ? interactions : 0;

        public void BeginEpoch(Random rng) { }

        public void Step(long step, Random rng)
        {
            int n = model._n, k = model.Factors;
            var r = _active[rng.Next(_active.Length)];
            var row = rows[r];
            var i = row[rng.Next(row.Length)];
            int j;
            do j = rng.Next(n); while (Array.BinarySearch(row, j) >= 0);
            var u = shard.Users[r];
            model.Step(model._users.AsSpan(u * k, k), model._fedUserAcc.AsSpan(u * k, k), i, j, model._fedItemAcc, model._fedBiasAcc, updateItems: true, itemSgdLr);
        }

        public void WriteUpdate(ReadOnlySpan<float> global, Span<float> delta)
        {
            int n = model._n, ik = n * model.Factors;
            for (var x = 0; x < ik; x++) delta[x] = model._items[x] - global[x];
            for (var x = 0; x < n; x++) delta[ik + x] = model._bias[x] - global[ik + x];
        }

        public void Dispose() { }
    }

    public void SetGlobal(ReadOnlySpan<float> global)
    {
        if (global.Length != SharedParameterCount) throw new ArgumentException($"global must have {SharedParameterCount} values");
        var ik = _n * Factors;
        global[..ik].CopyTo(_items);
        global[ik..].CopyTo(_bias);
    }

    /// <summary>
    /// The end-of-training refit: the client's users' vectors are fitted again for
    /// <see cref="FederatedLocalOptions.UserRefitEpochs"/> BPR passes against the installed global
    /// items (items fixed, fresh Adagrad accumulators); reads only this shard, sends nothing.
    /// </summary>
    public void RefitLocal(ClientShard shard, FederatedLocalOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(shard);
        CheckLocalOptions(options);
        RefitUsers(shard, ClientRows(shard, out _), options.UserRefitEpochs, new Random(seed));
    }

    private static void CheckLocalOptions(FederatedLocalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize is not null) throw new ArgumentException("federated BPR trains one triple at a time: a local batch size applies to the Transformer only");
        if (options.LearningRate is not null && !options.Sgd) throw new ArgumentException("federated BPR: a local learning rate applies to local SGD only (Adagrad uses the model's own)");
        if (options.LearningRate is { } lr && !(lr > 0)) throw new ArgumentException($"local learning rate must be positive (got {lr})");
        if (options.UserRefitEpochs < 0) throw new ArgumentException($"user refit passes must be ≥ 0 (got {options.UserRefitEpochs})");
    }

    /// <summary>(m rows) the shard's users' distinct training items, sorted: negatives are items the user never had.</summary>
    private int[][] ClientRows(ClientShard shard, out long interactions)
    {
        var seqs = shard.Sequences;
        var rows = new int[shard.Users.Length][];
        interactions = 0;
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = ClassicHelpers.Distinct(seqs.ItemsOf(r), _n);
            Array.Sort(rows[r]);
            interactions += rows[r].Length;
        }
        return rows;
    }

    /// <summary>
    /// <paramref name="epochs"/> BPR passes over each user's own items with the item side fixed and a
    /// fresh Adagrad accumulator per user (as at query time), so a stale vector catches up with the
    /// current items; the persistent accumulators of the joint training are left as they are.
    /// </summary>
    private void RefitUsers(ClientShard shard, int[][] rows, int epochs, Random rng)
    {
        if (epochs == 0) return;
        var k = Factors;
        var gp = new float[k];
        for (var r = 0; r < rows.Length; r++)
        {
            var row = rows[r];
            if (row.Length == 0 || row.Length >= _n) continue;
            var p = _users.AsSpan(shard.Users[r] * k, k);
            Array.Clear(gp);
            for (var e = 0; e < epochs; e++)
                foreach (var i in row)
                {
                    int j;
                    do j = rng.Next(_n); while (Array.BinarySearch(row, j) >= 0);
                    Step(p, gp, i, j, [], [], updateItems: false);
                }
        }
    }
}
