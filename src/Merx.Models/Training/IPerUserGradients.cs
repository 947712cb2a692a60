namespace Merx.Models.Training;

/// <summary>
/// The DP-SGD training surface of a model: its released parameters θ as one flat vector of length P,
/// the clipped gradients of a step's sampled users summed into one buffer, and an update from a noisy
/// mean gradient. How the model is trained privately (sampling, noise, accounting, the loop, progress)
/// lives in <see cref="DpSgdTrainer"/>, not in the model. A model whose users' gradients are independent
/// implements <see cref="AddClippedGradient"/> only; one with a fused batch path (the Transformer's exact
/// per-user norms without materializing each user's gradient) overrides <see cref="AddClippedGradients"/>.
/// </summary>
internal interface IPerUserGradients
{
    /// <summary>P: the length of θ and of every gradient buffer.</summary>
    int ParameterCount { get; }

    /// <summary>
    /// The work every user's gradient of one step shares (e.g. item representations at the current θ),
    /// done once per step after sampling and before any gradient. None by default. Allocates nothing.
    /// </summary>
    void BeginStep() { }

    /// <summary>
    /// Adds user <paramref name="user"/>'s gradient (of their own loss, w.r.t. θ), scaled to L2 norm at
    /// most <paramref name="clip"/>, into <paramref name="sum"/> (P). Returns (loss, scale): scale 1 when
    /// not clipped, 0 when the gradient was not finite and nothing was added; null when the user has no
    /// example to learn from. Allocates nothing.
    /// </summary>
    (double Loss, float Scale)? AddClippedGradient(int user, float clip, float[] sum);

    /// <summary>
    /// Adds the clipped gradients of <paramref name="users"/> (this step's sample, in order) into
    /// <paramref name="sum"/> (P, zeros on entry). By default one <see cref="AddClippedGradient"/> per user,
    /// in order (<see cref="EachUser"/>). Allocates nothing.
    /// </summary>
    ClippedSum AddClippedGradients(ReadOnlySpan<int> users, float clip, float[] sum) => EachUser(this, users, clip, sum);

    /// <summary>θ ← the model's optimizer step with gradient <paramref name="gradient"/> (P, the noisy mean). Allocates nothing.</summary>
    void ApplyUpdate(float[] gradient);

    /// <summary>The per-user sum: <see cref="AddClippedGradient"/> for each of <paramref name="users"/> in order, the counts of those that contributed.</summary>
    static ClippedSum EachUser(IPerUserGradients model, ReadOnlySpan<int> users, float clip, float[] sum)
    {
        double loss = 0; int count = 0, clipped = 0, dropped = 0;
        foreach (var u in users)
        {
            if (model.AddClippedGradient(u, clip, sum) is not (var l, var scale)) continue;
            loss += l; count++;
            if (scale == 0) dropped++; else if (scale < 1) clipped++;
        }
        return new(loss, count, clipped, dropped);
    }
}

/// <summary>
/// What one step's clipped sum holds: Σ of the contributing users' losses (a diagnostic, not private),
/// the users who contributed, and of those how many were clipped (norm above C) or dropped (non-finite).
/// </summary>
internal readonly record struct ClippedSum(double Loss, int Users, int Clipped, int Dropped);
