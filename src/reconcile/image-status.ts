/**
 * ImageStatus results shared by container starts of the same image. kubelet calls ImageStatus
 * before every container it starts. When 30 pods of one image start at once, 29 of those calls
 * return what the first returned, and each takes runtime CPU from the starts themselves
 * (docs/performance.md, finding 23).
 */
import type { CriClient, Image } from "../cri/index.js";

/** How long the result for a present image is reused by later starts, in milliseconds. */
export const IMAGE_STATUS_REUSE_MS = 1_000;

/** One ImageStatus call for an image. `arrivedAtMs` is undefined while the call is in flight. */
interface StatusRead {
  status: Promise<Image | undefined>;
  arrivedAtMs: number | undefined;
}

/**
 * Reads ImageStatus through a short-lived cache. A start that reads an image while a call for it is
 * in flight waits for that call. The result for a present image is reused for `reuseMs`. An
 * absent image or a failed call is returned only to the starts that waited on that call, so the
 * next start calls again and a pull follows a fresh result.
 */
export class ImageStatusReader {
  private readonly reads = new Map<string, StatusRead>();

  constructor(
    private readonly cri: Pick<CriClient, "imageStatus">,
    private readonly reuseMs: number = IMAGE_STATUS_REUSE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Returns the image's status: undefined when the runtime does not have it. */
  read(image: string): Promise<Image | undefined> {
    const previous = this.reads.get(image);
    if (previous !== undefined && (previous.arrivedAtMs === undefined || this.fresh(previous.arrivedAtMs))) {
      return previous.status;
    }

    const read: StatusRead = { status: this.cri.imageStatus(image), arrivedAtMs: undefined };
    this.reads.set(image, read);
    read.status.then(
      (status) => {
        if (this.reads.get(image) !== read) return;
        if (status === undefined) this.reads.delete(image);
        else read.arrivedAtMs = this.now();
      },
      () => {
        if (this.reads.get(image) === read) this.reads.delete(image);
      },
    );
    return read.status;
  }

  /** Reports whether a result that arrived at `arrivedAtMs` may be reused. A clock set back ends the reuse. */
  private fresh(arrivedAtMs: number): boolean {
    const ageMs = this.now() - arrivedAtMs;
    return ageMs >= 0 && ageMs < this.reuseMs;
  }

  /**
   * Drops the image's result, so the next start calls ImageStatus again. The executor calls it
   * after a pull, which can change what the name points to, and after a failed CreateContainer,
   * in case the image was removed.
   */
  forget(image: string): void {
    this.reads.delete(image);
  }
}
