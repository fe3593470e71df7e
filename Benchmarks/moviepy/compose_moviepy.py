"""The same composition as compose-bench's, made with moviepy 2 (the engine MoneyPrinterTurbo uses):
each still cropped to fill the frame and zoomed over its shot, 0.5 s crossfades, the voice muxed,
libx264 with the composer's settings (High, veryfast, crf 20, yuv420p, BT.709 tags), AAC 192 kb/s.
Prints the wall time of the composition and write as `moviepy_seconds=...`, and its CPU time (this process
and the ffmpeg it writes with) as `moviepy_cpu_seconds=...`.
"""

import argparse
import resource
import time

from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, concatenate_videoclips, vfx


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", action="append", required=True)
    parser.add_argument("--voice", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--width", type=int, default=1080)
    parser.add_argument("--height", type=int, default=1920)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--crossfade", type=float, default=0.5)
    parser.add_argument("--zoom", type=float, default=0.12)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--crf", default="20")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    started = time.monotonic()
    cpu_started = cpu_seconds()
    count = len(args.image)
    each = args.seconds / count
    clips = []
    for index, path in enumerate(args.image):
        # As compose-bench: each shot lasts half a crossfade longer at each joined end.
        duration = each + (args.crossfade / 2 if index > 0 else 0) + (args.crossfade / 2 if index < count - 1 else 0)
        still = ImageClip(path, duration=duration)
        # Cover the frame (never stretched), then zoom in over the shot, centred: MoneyPrinterTurbo's Ken Burns.
        cover = max(args.width / still.w, args.height / still.h)
        zoom = args.zoom

        def scale(t, cover=cover, duration=duration):
            return cover * (1 + zoom * t / duration)

        moving = still.with_effects([vfx.Resize(scale)]).with_position("center")
        shot = CompositeVideoClip([moving], size=(args.width, args.height)).with_duration(duration)
        if index > 0:
            shot = shot.with_effects([vfx.CrossFadeIn(args.crossfade)])
        clips.append(shot)
    video = concatenate_videoclips(clips, method="compose", padding=-args.crossfade)
    voice = AudioFileClip(args.voice)
    video = video.with_audio(voice).with_duration(min(video.duration, voice.duration))
    video.write_videofile(
        args.output,
        fps=args.fps,
        codec="libx264",
        preset=args.preset,
        audio_codec="aac",
        audio_bitrate="192k",
        ffmpeg_params=[
            "-crf", args.crf, "-profile:v", "high", "-pix_fmt", "yuv420p", "-colorspace", "bt709",
            "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
        ],
        logger=None,
    )
    print(f"moviepy_seconds={time.monotonic() - started:.3f}")
    print(f"moviepy_cpu_seconds={cpu_seconds() - cpu_started:.3f}")


def cpu_seconds() -> float:
    """User + system time of this process and its finished children (moviepy's ffmpeg writer)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


if __name__ == "__main__":
    main()
