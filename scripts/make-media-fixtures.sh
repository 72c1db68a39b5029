#!/usr/bin/env bash
# Regenerates the small audio, video and PDF files in vault/tests/fixtures/,
# made with tools Témoin did not write (ffmpeg, Ghostscript), so that the
# tests of media facts read files as real recorders and writers produce
# them. The files are committed; the tests do not need these tools. Each is
# a second or so of a test pattern or tone, with known metadata.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/vault/tests/fixtures"
mkdir -p "$out"
cd "$out"
ff=(ffmpeg -hide_banner -loglevel error -y -bitexact)
video=(-f lavfi -i "testsrc=size=64x48:rate=10:duration=2")
tone=(-f lavfi -i "sine=frequency=440:sample_rate=22050:duration=2")
tags=(-metadata "creation_time=2024-03-05T14:22:10Z" -metadata "title=Fixture" -metadata "artist=Fixture author")

"${ff[@]}" "${video[@]}" "${tone[@]}" -c:v libx264 -pix_fmt yuv420p -c:a aac -b:a 32k \
  "${tags[@]}" -shortest clip.mp4
"${ff[@]}" "${video[@]}" "${tone[@]}" -c:v libx264 -pix_fmt yuv420p -c:a aac -b:a 32k \
  "${tags[@]}" -shortest -f mov clip.mov
"${ff[@]}" "${video[@]}" "${tone[@]}" -c:v libvpx -b:v 50k -c:a libvorbis \
  "${tags[@]}" -shortest clip.webm
"${ff[@]}" "${tone[@]}" -c:a aac -b:a 32k "${tags[@]}" -f ipod voice.m4a
"${ff[@]}" "${tone[@]}" -c:a libmp3lame -b:a 32k "${tags[@]}" voice.mp3
"${ff[@]}" "${tone[@]}" -c:a libvorbis "${tags[@]}" voice.ogg
"${ff[@]}" "${tone[@]}" -c:a pcm_s16le "${tags[@]}" voice.wav

# A three-page PDF with document information, from PostScript.
cat > statement.ps <<'PS'
%!PS
[ /Title (Fixture statement) /Author (Fixture author) /Creator (Fixture writer)
  /CreationDate (D:20240305142210Z) /DOCINFO pdfmark
/Helvetica findfont 12 scalefont setfont
1 1 3 { 72 720 moveto (Page ) show 3 string cvs show showpage } for
PS
gs -q -dBATCH -dNOPAUSE -dSAFER -sDEVICE=pdfwrite -o statement.pdf statement.ps
rm statement.ps
ls -l "$out"
