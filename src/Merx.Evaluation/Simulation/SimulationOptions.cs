namespace Merx.Evaluation.Simulation;

/// <summary>
/// Settings of the bandit simulator. The click model: a user's true preference is EASE fitted on
/// the whole data set, scored from the user's full history; the item at true rank r (0 = best)
/// is clicked, once examined, with probability <see cref="TopCtr"/>/(1 + r/<see cref="RankScale"/>)
/// for r &lt; <see cref="TruthDepth"/> and <see cref="FloorCtr"/> beyond; slot j is examined with
/// probability 1/log₂(j+2) (position bias); each earlier impression of the same item to the same
/// user multiplies it by <see cref="RepeatDecay"/> (users tire of what they skipped); a clicked
/// item is not clicked again.
/// </summary>
public sealed record SimulationOptions
{
    public int Rounds { get; init; } = 20_000;
    public int Slate { get; init; } = 10;
    public int Seeds { get; init; } = 5;
    public int FirstSeed { get; init; } = 1;
    /// <summary>Candidates from the exploit model (item-kNN on the observed history) per request.</summary>
    public int Candidates { get; init; } = 200;
    /// <summary>Extra candidates from categories absent from the user's history, drawn by popularity.</summary>
    public int DiscoveryCandidates { get; init; } = 50;
    /// <summary>Users who visit (0 = max(500, rounds/10), at most all): each returns about rounds/users times.</summary>
    public int Users { get; init; }
    /// <summary>Share range of a user's real history the shop has observed at the start (the rest is hidden interest).</summary>
    public double MinObserved { get; init; } = 0.2;
    public double MaxObserved { get; init; } = 0.8;
    public double TopCtr { get; init; } = 0.08;
    public double RankScale { get; init; } = 30;
    public int TruthDepth { get; init; } = 1000;
    public double FloorCtr { get; init; } = 0.0005;
    public double RepeatDecay { get; init; } = 0.6;
    /// <summary>Catalogs larger than this keep only the most popular items (EASE needs a dense n×n inverse).</summary>
    public int MaxItems { get; init; } = 12_500;
    /// <summary>Dimension of the co-occurrence user/item vectors used by linucb, lints and dynamic (with <see cref="Vectors"/> = "cooccurrence").</summary>
    public int VectorDimension { get; init; } = 32;
    /// <summary>
    /// Where the user/item vectors of linucb, lints and dynamic come from: "sasrec" (the default: the
    /// Transformer, trained per seed on the shop's observed data only, as the exploit model is, with the
    /// server's recipe) or "cooccurrence" (random indexing over item-kNN neighbourhoods: seconds to build,
    /// the earlier stand-in, kept for quick runs).
    /// </summary>
    public string Vectors { get; init; } = "sasrec";
    /// <summary>Folder where trained Transformers are kept per data set, seed and settings, so later runs reuse them (null: train every run).</summary>
    public string? EncoderCache { get; init; }
    /// <summary>Most training epochs of the Transformer (null: its own early stopping), and most minutes (null: no limit).</summary>
    public int? EncoderEpochs { get; init; }
    public double? EncoderMinutes { get; init; }
    /// <summary>Points on the reported curves.</summary>
    public int CurvePoints { get; init; } = 50;

    public void Validate()
    {
        if (Rounds < 1 || Slate < 1 || Seeds < 1 || Candidates < Slate || DiscoveryCandidates < 0 || Users < 0 || TruthDepth < Slate || VectorDimension < 1 || CurvePoints < 2)
            throw new ArgumentException("simulation: rounds, slate, seeds ≥ 1; candidates ≥ slate; truth depth ≥ slate");
        if (!(MinObserved > 0 && MinObserved <= MaxObserved && MaxObserved <= 1)) throw new ArgumentException("simulation: observed shares must satisfy 0 < min ≤ max ≤ 1");
        if (!(TopCtr > 0 && TopCtr <= 1 && FloorCtr >= 0 && FloorCtr < TopCtr && RankScale > 0 && RepeatDecay is >= 0 and <= 1))
            throw new ArgumentException("simulation: click model parameters out of range");
        if (MaxItems < 10) throw new ArgumentException("simulation: max items must be ≥ 10");
        if (Vectors is not ("sasrec" or "cooccurrence")) throw new ArgumentException($"simulation: vectors '{Vectors}' is neither sasrec nor cooccurrence");
        if (EncoderEpochs is < 1 || EncoderMinutes is <= 0) throw new ArgumentException("simulation: encoder epochs and minutes must be positive");
    }
}
