// PDFs of received cases, drawn by pdf.js into canvases. pdf.js is loaded
// only when an officer opens a PDF (it is large). Under the window's CSP
// (script-src 'self', style-src 'self'): its worker is a file of the app's
// own that Vite bundles, eval is off, fonts are drawn as outlines rather
// than loaded as font faces (which would need an inline style sheet), and
// nothing is fetched (no standard fonts, no wasm decoders: their pure
// JavaScript versions are used).

import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

export interface PdfDocument {
  pages: number;
  /** Draws page `n` (from 1) into `canvas`, at `scale` CSS pixels per PDF point. */
  render(n: number, canvas: HTMLCanvasElement, scale: number): Promise<{ width: number; height: number }>;
  destroy(): Promise<void>;
}

export async function openPdf(bytes: Uint8Array): Promise<PdfDocument> {
  const pdfjs = await import('pdfjs-dist');
  pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;
  const doc = await pdfjs.getDocument({
    data: bytes,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWasm: false,
    enableXfa: false,
    stopAtErrors: false,
  }).promise;
  return {
    pages: doc.numPages,
    async render(n, canvas, scale) {
      const page = await doc.getPage(n);
      const ratio = window.devicePixelRatio || 1;
      const viewport = page.getViewport({ scale: scale * ratio });
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      await page.render({ canvas, viewport }).promise;
      page.cleanup();
      return { width: viewport.width / ratio, height: viewport.height / ratio };
    },
    destroy: () => doc.destroy(),
  };
}
