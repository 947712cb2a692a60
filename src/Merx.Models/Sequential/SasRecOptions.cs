namespace Merx.Models.Sequential;

/// <summary>Size and training settings of the sequential Transformer. Defaults are the Amazon-scale recipe.</summary>
public sealed record SasRecOptions
{
    public int Dim { get; init; } = 64;
    public int Blocks { get; init; } = 2;
    public int Heads { get; init; } = 1;
    /// <summary>Most recent items a user is represented by.</summary>
    public int MaxLength { get; init; } = 50;
    /// <summary>Hidden width of the feed-forward layer as a multiple of <see cref="Dim"/>.</summary>
    public int FfnMultiplier { get; init; } = 1;
    public float Dropout { get; init; } = 0.3f;
    public float LearningRate { get; init; } = 1e-3f;
    public float WeightDecay { get; init; }
    public float ClipNorm { get; init; } = 5f;
    public int BatchSize { get; init; } = 128;
    public int MaxEpochs { get; init; } = 200;
    /// <summary>Validation checks without improvement before stopping.</summary>
    public int Patience { get; init; } = 5;
    /// <summary>Epochs between validation checks.</summary>
    public int EvalEvery { get; init; } = 2;
    /// <summary>At most this many validation users are scored per check (all when 0); a fixed seeded sample.</summary>
    public int ValidationUsers { get; init; }
    /// <summary>Add the mean of the item's side-information embeddings (category, brand, tags, attributes) to its id embedding.</summary>
    public bool UseSideInformation { get; init; } = true;

    public void Validate()
    {
        if (Dim <= 0 || Blocks <= 0 || Heads <= 0 || Dim % Heads != 0) throw new ArgumentException("Dim must be a positive multiple of Heads, Blocks positive");
        if (MaxLength < 2) throw new ArgumentException("MaxLength must be at least 2");
        if (Dropout is < 0 or >= 1) throw new ArgumentException("Dropout must be in [0, 1)");
        if (BatchSize <= 0 || MaxEpochs <= 0 || LearningRate <= 0) throw new ArgumentException("BatchSize, MaxEpochs and LearningRate must be positive");
    }
}
