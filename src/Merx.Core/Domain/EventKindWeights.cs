namespace Merx.Core.Domain;

/// <summary>
/// How much each kind of event counts as evidence of interest when a model builds its user×item
/// matrix. Defaults follow the usual funnel: a purchase says more than a view. Search and
/// impression carry no item preference and weigh 0 (they are dropped from training data).
/// </summary>
public sealed class EventKindWeights
{
    private readonly float[] _weights = new float[EventKinds.Count];

    public EventKindWeights()
    {
        this[EventKind.View] = 1f;
        this[EventKind.Click] = 1f;
        this[EventKind.AddToCart] = 3f;
        this[EventKind.Purchase] = 5f;
        this[EventKind.Rating] = 1f;
        this[EventKind.Favorite] = 2f;
        this[EventKind.Search] = 0f;
        this[EventKind.Impression] = 0f;
    }

    public static EventKindWeights Default { get; } = new();

    public float this[EventKind kind]
    {
        get => _weights[(int)kind];
        set
        {
            if (!float.IsFinite(value) || value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "an event weight must be finite and >= 0");
            _weights[(int)kind] = value;
        }
    }

    /// <summary>Parses "view=1,add_to_cart=3,purchase=5"; kinds not named keep their defaults.</summary>
    public static EventKindWeights Parse(string spec)
    {
        var w = new EventKindWeights();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw new FormatException($"event weight '{part}' is not kind=weight");
            var kind = EventKinds.Parse(part[..eq]);
            if (!float.TryParse(part[(eq + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
                throw new FormatException($"event weight '{part}' has no number after '='");
            w[kind] = value;
        }
        return w;
    }
}
