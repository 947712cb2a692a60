namespace Merx.Numerics;

/// <summary>
/// Marsaglia's xorshift64 (shifts 13, 7, 17): the generator for draws inside a training step (dropout
/// masks, sampled negatives, id dropout, BPR's private item draws), whose whole state is one ulong in
/// the caller's field or local, so a step allocates nothing and a seed fixes the stream. The state must
/// never be 0 (0 maps to 0). Seeded streams outside the training step use <see cref="SplitMix64"/>.
/// </summary>
public static class XorShift64
{
    /// <summary>The state after <paramref name="state"/>; it is also the 64 random bits drawn.</summary>
    public static ulong Next(ulong state)
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
}
