namespace Merx.Core.Splits;

/// <summary>
/// One evaluation query: the model sees <paramref name="Input"/> (the user's history in time
/// order) and is judged on how it ranks <paramref name="Targets"/> among all items not in the input.
/// </summary>
public sealed record EvalCase(int User, int[] Input, int[] Targets);
