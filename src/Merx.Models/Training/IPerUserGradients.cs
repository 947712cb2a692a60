namespace Merx.Models.Training;

/// <summary>
/// The DP-SGD training surface of a model: its released parameters θ as one flat vector of length P,
/// one user's clipped gradient, and an update from a noisy mean gradient. How the model is trained
/// privately (sampling, noise, accounting, the loop) lives in <see cref="DpSgdTrainer"/>, not in the model.
/// </summary>
internal interface IPerUserGradients
{
    /// <summary>P: the length of θ and of every gradient buffer.</summary>
    int ParameterCount { get; }

    /// <summary>
    /// Adds user <paramref name="user"/>'s gradient (of their own loss, w.r.t. θ), scaled to L2 norm at
    /// most <paramref name="clip"/>, into <paramref name="sum"/> (P). Returns (loss, scale): scale 1 when
    /// not clipped, 0 when the gradient was not finite and nothing was added; null when the user has no
    /// example to learn from. Allocates nothing.
    /// </summary>
    (double Loss, float Scale)? AddClippedGradient(int user, float clip, float[] sum);

    /// <summary>θ ← the model's optimizer step with gradient <paramref name="gradient"/> (P, the noisy mean). Allocates nothing.</summary>
    void ApplyUpdate(float[] gradient);
}
