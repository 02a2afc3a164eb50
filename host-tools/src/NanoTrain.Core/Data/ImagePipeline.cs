using NanoTrain.Core.Common;

namespace NanoTrain.Core.Data;

/// <summary>
/// Turns a 28×28 uint8 image into the model's input: R×R floats (p − 127.5)/127.5. Resolutions of 28 and
/// more pad the image centred with background (pixel 0); smaller ones downscale bilinearly. Training may add
/// a random shift of up to <see cref="MaxShift"/> pixels and, when allowed, a horizontal flip.
/// </summary>
public sealed class ImagePipeline
{
    public ImagePipeline(int resolution, bool augment = false, bool flip = false)
    {
        if (resolution < 8 || resolution > 512)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"resolution {resolution} is out of range 8..512");
        }
        Resolution = resolution;
        Augment = augment;
        Flip = flip;
    }

    public const int MaxShift = 2;

    public int Resolution { get; }

    public bool Augment { get; }

    public bool Flip { get; }

    /// <summary>Maps one pixel value to the model's input scale.</summary>
    public static float Normalize(byte pixel) => (pixel - 127.5f) / 127.5f;

    /// <summary>Writes image <paramref name="source"/> (784 bytes) into <paramref name="destination"/> (R·R floats).</summary>
    public void Render(ReadOnlySpan<byte> source, Span<float> destination, SplitMix64? rng = null)
    {
        int r = Resolution;
        int dx = 0;
        int dy = 0;
        bool mirror = false;
        if (Augment && rng != null)
        {
            dx = (int)rng.NextBelow((2 * MaxShift) + 1) - MaxShift;
            dy = (int)rng.NextBelow((2 * MaxShift) + 1) - MaxShift;
            mirror = Flip && rng.NextBelow(2) == 1;
        }
        const int side = DatasetSpec.Side;
        if (r >= side)
        {
            int off = (r - side) / 2;
            for (int y = 0; y < r; y++)
            {
                for (int x = 0; x < r; x++)
                {
                    int sy = y - off - dy;
                    int sx = x - off - dx;
                    if (mirror)
                    {
                        sx = side - 1 - sx;
                    }
                    byte p = sy >= 0 && sy < side && sx >= 0 && sx < side ? source[(sy * side) + sx] : (byte)0;
                    destination[(y * r) + x] = Normalize(p);
                }
            }
            return;
        }
        float scale = (float)side / r;
        for (int y = 0; y < r; y++)
        {
            for (int x = 0; x < r; x++)
            {
                float fy = Math.Clamp(((y + 0.5f) * scale) - 0.5f - dy, 0, side - 1);
                float fx = Math.Clamp(((x + 0.5f) * scale) - 0.5f - dx, 0, side - 1);
                if (mirror)
                {
                    fx = side - 1 - fx;
                }
                int y0 = (int)fy;
                int x0 = (int)fx;
                int y1 = Math.Min(y0 + 1, side - 1);
                int x1 = Math.Min(x0 + 1, side - 1);
                float wy = fy - y0;
                float wx = fx - x0;
                float top = (source[(y0 * side) + x0] * (1 - wx)) + (source[(y0 * side) + x1] * wx);
                float bottom = (source[(y1 * side) + x0] * (1 - wx)) + (source[(y1 * side) + x1] * wx);
                destination[(y * r) + x] = ((top * (1 - wy)) + (bottom * wy) - 127.5f) / 127.5f;
            }
        }
    }
}
