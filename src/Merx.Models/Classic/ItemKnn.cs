using Merx.Core.Contracts;

namespace Merx.Models.Classic;

/// <summary>
/// Item-based k-nearest neighbours: cosine similarity with shrinkage between item columns of the
/// weighted user×item matrix, sim(i,j) = x_i·x_j / (‖x_i‖‖x_j‖ + shrink), keeping the top
/// <see cref="Neighbors"/> per item in CSR form. A user's score for j is the sum of sim(h, j) over
/// the distinct history items h, so any history (also of an unknown user) is answered at once.
/// </summary>
public sealed class ItemKnn : IRecommender
{
    public const string ModelName = "itemknn";
    private const int Version = 1;
    private int[] _ptr = [0];
    private int[] _idx = [];
    private float[] _sim = [];

    public ItemKnn(int neighbors = 100, float shrink = 10f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(neighbors, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(shrink);
        Neighbors = neighbors; Shrink = shrink;
    }

    public int Neighbors { get; }
    public float Shrink { get; }
    public string Name => ModelName;
    public int ItemCount => _ptr.Length - 1;

    public void Fit(TrainingData data, FitOptions options)
    {
        var x = data.Matrix;
        var xt = x.Transpose();
        var n = data.ItemCount;
        var norms = new float[n];
        for (var i = 0; i < n; i++)
        {
            double s = 0;
            foreach (var v in xt.RowValues(i)) s += (double)v * v;
            norms[i] = (float)Math.Sqrt(s);
        }
        var rows = new ScoredItem[n][];
        Parallel.For(0, n, () => new float[n], (i, _, acc) =>
        {
            options.Cancellation.ThrowIfCancellationRequested();
            var touched = new List<int>();
            var users = xt.RowIndices(i); var weights = xt.RowValues(i);
            for (var a = 0; a < users.Length; a++)
            {
                var items = x.RowIndices(users[a]); var vals = x.RowValues(users[a]);
                for (var b = 0; b < items.Length; b++)
                {
                    var j = items[b];
                    if (j == i) continue;
                    if (acc[j] == 0) touched.Add(j);
                    acc[j] += weights[a] * vals[b];
                }
            }
            var cand = new ScoredItem[touched.Count];
            for (var t = 0; t < touched.Count; t++)
            {
                var j = touched[t];
                cand[t] = new ScoredItem(j, acc[j] / (norms[i] * norms[j] + Shrink));
                acc[j] = 0;
            }
            Array.Sort(cand, static (p, q) => q.Score != p.Score ? q.Score.CompareTo(p.Score) : p.Item.CompareTo(q.Item));
            rows[i] = cand.Length > Neighbors ? cand[..Neighbors] : cand;
            return acc;
        }, _ => { });
        _ptr = new int[n + 1];
        for (var i = 0; i < n; i++) _ptr[i + 1] = _ptr[i] + rows[i].Length;
        _idx = new int[_ptr[n]]; _sim = new float[_ptr[n]];
        for (var i = 0; i < n; i++)
            for (var t = 0; t < rows[i].Length; t++) { _idx[_ptr[i] + t] = rows[i][t].Item; _sim[_ptr[i] + t] = rows[i][t].Score; }
        options.Progress?.Report($"itemknn: {_idx.Length} neighbour links over {n} items");
    }

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        scores.Clear();
        foreach (var h in ClassicHelpers.Distinct(history, ItemCount))
            for (var t = _ptr[h]; t < _ptr[h + 1]; t++) scores[_idx[t]] += _sim[t];
    }

    public ScoredItem[] SimilarItems(int item, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if ((uint)item >= (uint)ItemCount) return [];
        var count = Math.Min(n, _ptr[item + 1] - _ptr[item]);
        var result = new ScoredItem[count];
        for (var t = 0; t < count; t++) result[t] = new ScoredItem(_idx[_ptr[item] + t], _sim[_ptr[item] + t]);
        return result;
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Version);
        writer.Write(Neighbors); writer.Write(Shrink);
        ModelIO.WriteArray(writer, _ptr); ModelIO.WriteArray(writer, _idx); ModelIO.WriteArray(writer, _sim);
    }

    public static ItemKnn Read(BinaryReader reader)
    {
        ModelIO.CheckVersion(reader, Version, "item-kNN");
        var m = new ItemKnn(reader.ReadInt32(), reader.ReadSingle());
        m._ptr = ModelIO.ReadArray<int>(reader); m._idx = ModelIO.ReadArray<int>(reader); m._sim = ModelIO.ReadArray<float>(reader);
        if (m._ptr.Length == 0 || m._ptr[^1] != m._idx.Length || m._idx.Length != m._sim.Length) throw new InvalidDataException("item-kNN payload is inconsistent");
        return m;
    }
}
