using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Models.Tags;

/// <summary>
/// Suggests tags (tags, genres, categories) for an item from the items that resemble it: its
/// nearest neighbours by pre-trained text vector, and the items used together with it (item-item
/// cosine over the users who interacted with both). Each neighbour votes for its own tags with its
/// similarity; each source's votes are normalized to sum 1 and mixed with <see cref="TextWeight"/>
/// (a source the item lacks — no text, no interactions — drops out). Items whose tags are unknown
/// (hidden, or new) neither vote nor count as neighbours.
/// </summary>
public sealed class TagSuggester
{
    private readonly IReadOnlyList<IReadOnlyList<string>> _labels;
    private readonly PretrainedVectors? _text;
    private readonly int[][]? _usersOf;     // (Items) distinct users of each item
    private readonly UserSequences? _behaviour;

    /// <param name="labels">Each item's known tags (empty: unknown, so it does not vote).</param>
    /// <param name="text">Item text vectors (unit length), or null.</param>
    /// <param name="behaviour">Who used which item, or null.</param>
    public TagSuggester(IReadOnlyList<IReadOnlyList<string>> labels, PretrainedVectors? text, UserSequences? behaviour, int neighbours = 20, float textWeight = 0.5f)
    {
        if (text is not null && text.ItemCount != labels.Count) throw new ArgumentException($"text vectors cover {text.ItemCount} items, the labels {labels.Count}", nameof(text));
        if (behaviour is not null && behaviour.ItemCount != labels.Count) throw new ArgumentException($"interactions cover {behaviour.ItemCount} items, the labels {labels.Count}", nameof(behaviour));
        if (neighbours <= 0) throw new ArgumentOutOfRangeException(nameof(neighbours), "neighbours must be positive");
        if (textWeight is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(textWeight), "textWeight must be in [0, 1]");
        _labels = labels; _text = text; _behaviour = behaviour; Neighbours = neighbours; TextWeight = textWeight;
        if (behaviour is not null)
        {
            var lists = new List<int>[labels.Count];
            for (var i = 0; i < lists.Length; i++) lists[i] = [];
            for (var u = 0; u < behaviour.UserCount; u++)
                foreach (var i in behaviour.ItemsOf(u))
                    if (lists[i].Count == 0 || lists[i][^1] != u) lists[i].Add(u);
            _usersOf = lists.Select(l => l.ToArray()).ToArray();
        }
    }

    public int Neighbours { get; }
    public float TextWeight { get; }

    /// <summary>The most frequent tags over the items that have them, most frequent first (ties by name): the baseline.</summary>
    public static string[] MostFrequent(IReadOnlyList<IReadOnlyList<string>> labels, int n) =>
        labels.SelectMany(l => l.Distinct()).GroupBy(t => t, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(n).Select(g => g.Key).ToArray();

    /// <summary>Up to <paramref name="n"/> tags for <paramref name="item"/>, best first, with their mixed vote share (0..1).</summary>
    public (string Tag, float Score)[] Suggest(int item, int n) => Suggest(item, n, TextWeight);

    /// <summary>As <see cref="Suggest(int, int)"/> with another text weight (1: text alone, 0: behaviour alone).</summary>
    public (string Tag, float Score)[] Suggest(int item, int n, float textWeight)
    {
        var votes = new Dictionary<string, float>(StringComparer.Ordinal);
        var textVotes = _text is not null && _text.Has(item) ? Votes(TextNeighbours(item)) : null;
        var behaviourVotes = _usersOf is not null && _usersOf[item].Length > 0 ? Votes(BehaviourNeighbours(item)) : null;
        var wText = textVotes is null ? 0 : behaviourVotes is null ? 1 : textWeight;
        if (textVotes is not null) foreach (var (t, v) in textVotes) votes[t] = votes.GetValueOrDefault(t) + wText * v;
        if (behaviourVotes is not null) foreach (var (t, v) in behaviourVotes) votes[t] = votes.GetValueOrDefault(t) + (1 - wText) * v;
        return votes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(n).Select(kv => (kv.Key, kv.Value)).ToArray();
    }

    /// <summary>
    /// Tags for an item outside the labelled set (a new product) from its text vector alone: the
    /// votes of its nearest labelled neighbours by text. Empty when no neighbour is similar.
    /// </summary>
    public (string Tag, float Score)[] SuggestForText(ReadOnlySpan<float> textVector, int n)
    {
        if (_text is null) return [];
        if (textVector.Length != _text.Dimension) throw new ArgumentException($"text vector has {textVector.Length} entries, expected {_text.Dimension}", nameof(textVector));
        var votes = Votes(TextNeighbours(textVector, -1));
        return votes is null ? [] : votes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(n).Select(kv => (kv.Key, kv.Value)).ToArray();
    }

    private Dictionary<string, float>? Votes(List<(int Item, float Sim)> neighbours)
    {
        var votes = new Dictionary<string, float>(StringComparer.Ordinal);
        var total = 0f;
        foreach (var (j, s) in neighbours)
        {
            if (s <= 0) continue;
            foreach (var t in _labels[j].Distinct()) votes[t] = votes.GetValueOrDefault(t) + s;
            total += s;
        }
        if (total <= 0) return null;
        foreach (var t in votes.Keys.ToArray()) votes[t] /= total;
        return votes;
    }

    private List<(int, float)> TextNeighbours(int item) => TextNeighbours(_text!.Of(item), item);

    private List<(int, float)> TextNeighbours(ReadOnlySpan<float> q, int item)
    {
        var best = new PriorityQueue<int, float>();
        for (var j = 0; j < _labels.Count; j++)
        {
            if (j == item || _labels[j].Count == 0 || !_text!.Has(j)) continue;
            var s = System.Numerics.Tensors.TensorPrimitives.Dot(q, _text.Of(j));
            Keep(best, j, s);
        }
        return Drain(best);
    }

    private List<(int, float)> BehaviourNeighbours(int item)
    {
        var counts = new Dictionary<int, int>();
        foreach (var u in _usersOf![item])
        {
            var seen = new HashSet<int>();
            foreach (var j in _behaviour!.ItemsOf(u))
                if (j != item && _labels[j].Count > 0 && seen.Add(j)) counts[j] = counts.GetValueOrDefault(j) + 1;
        }
        var best = new PriorityQueue<int, float>();
        var ni = _usersOf[item].Length;
        foreach (var (j, c) in counts) Keep(best, j, (float)(c / Math.Sqrt((double)ni * _usersOf[j].Length)));
        return Drain(best);
    }

    private void Keep(PriorityQueue<int, float> best, int j, float s)
    {
        if (best.Count < Neighbours) best.Enqueue(j, s);
        else if (best.TryPeek(out _, out var worst) && s > worst) best.EnqueueDequeue(j, s);
    }

    private static List<(int, float)> Drain(PriorityQueue<int, float> best)
    {
        var list = new List<(int, float)>(best.Count);
        while (best.TryDequeue(out var j, out var s)) list.Add((j, s));
        return list;
    }

    /// <summary>An item's tags as this feature counts them: its tags and every level of its category path, distinct.</summary>
    public static IReadOnlyList<string> LabelsOf(Item? item) =>
        item is null ? [] : item.Tags.Concat(item.CategoryPath).Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The item as it would arrive without tags: tags and category path removed, the rest kept (what the text encoder reads for a hidden item).</summary>
    public static Item WithoutLabels(Item item) => item with { Tags = [], CategoryPath = [] };
}
