import { render } from 'preact';
import { Shell } from './views/Shell.js';
import './styles.css';

const root = document.getElementById('root');
if (root) render(<Shell />, root);
