import { useEffect, useState } from 'react';
import { api } from '../api';
import type { Category } from '../shared';

// The product categories, read once per session for the screens that choose or name them (the segment
// builder); the categories page forgets the copy after each change.

let cached: Promise<Category[]> | null = null;

function loadCategories(): Promise<Category[]> {
  cached ??= api.get<{ items: Category[] }>('/admin/categories').then((answer) => answer.items);
  cached.catch(() => {
    cached = null;
  });
  return cached;
}

export function forgetCategories(): void {
  cached = null;
}

export function useCategories(): Category[] {
  const [categories, setCategories] = useState<Category[]>([]);
  useEffect(() => {
    let live = true;
    loadCategories().then(
      (items) => live && setCategories(items),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return categories;
}
