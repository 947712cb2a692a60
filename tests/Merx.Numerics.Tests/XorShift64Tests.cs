namespace Merx.Numerics.Tests;

public class XorShift64Tests
{
    [Fact]
    public void Next_IsMarsaglias13_7_17Step()
    {
        // From the definition (s ^= s << 13; s ^= s >> 7; s ^= s << 17, mod 2^64) evaluated in Python integers.
        Assert.Equal(1_082_269_761UL, XorShift64.Next(1));
        Assert.Equal(1_152_992_998_833_853_505UL, XorShift64.Next(1_082_269_761UL));
        Assert.Equal(11_177_516_664_432_764_457UL, XorShift64.Next(1_152_992_998_833_853_505UL));
        Assert.Equal(15_860_402_102_123_842_989UL, XorShift64.Next(SplitMix64.Gamma));
        Assert.Equal(0UL, XorShift64.Next(0));
    }
}
