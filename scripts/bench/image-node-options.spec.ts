import { describe, expect, it } from 'vitest';
import { imageNodeOptions, readImageNodeOptions } from './image-node-options.js';

describe('imageNodeOptions', () => {
  it("reads the image's NODE_OPTIONS from the repository's Dockerfile", () => {
    expect(readImageNodeOptions()).toMatch(/^--max-old-space-size=\d+$/);
  });

  it('reads the ENV line, quoted, and refuses a Dockerfile without one', () => {
    expect(imageNodeOptions('FROM node:20\nENV NODE_ENV=production\nENV NODE_OPTIONS="--max-old-space-size=384 --trace-gc"\n')).toBe(
      '--max-old-space-size=384 --trace-gc',
    );
    expect(() => imageNodeOptions('FROM node:20\nENV NODE_ENV=production\n')).toThrow(/sets no NODE_OPTIONS/);
  });
});
